# METADATA
# title: No administrator policies on a target's group
# description: >-
#   A Sym target hands out its IAM group for a while; a group with AdministratorAccess or
#   IAMFullAccess attached turns any approved request into full control of the account
#   (IAMFullAccess lets its holder grant themselves anything). Enable it with
#   `[policy] paths = ["<symguard checkout>/rules/policies/no_admin_groups.rego"]`.
package symguard.no_admin_groups

admin_policies := {
	"arn:aws:iam::aws:policy/AdministratorAccess",
	"arn:aws:iam::aws:policy/IAMFullAccess",
}

deny contains finding if {
	some target in input.targets
	some group in input.iam_groups
	group.name == target.iam_group
	some arn in group.attached_policies
	admin_policies[arn]
	finding := {
		"msg": sprintf("target %s grants the group %s, which has %s attached", [target.address, group.name, arn]),
		"address": target.address,
		"attribute": "settings.iam_group",
	}
}

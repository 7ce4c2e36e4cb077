package symguard.no_admin_groups_test

import data.symguard.no_admin_groups

target := {"address": "sym_target.ops", "iam_group": "ops", "name": "ops"}

test_denies_administrator_access if {
	count(no_admin_groups.deny) == 1 with input as {
		"targets": [target],
		"iam_groups": [{"name": "ops", "attached_policies": ["arn:aws:iam::aws:policy/AdministratorAccess"]}],
	}
}

test_denies_iam_full_access if {
	count(no_admin_groups.deny) == 1 with input as {
		"targets": [target],
		"iam_groups": [{"name": "ops", "attached_policies": ["arn:aws:iam::aws:policy/IAMFullAccess"]}],
	}
}

test_allows_read_only if {
	count(no_admin_groups.deny) == 0 with input as {
		"targets": [target],
		"iam_groups": [{"name": "ops", "attached_policies": ["arn:aws:iam::aws:policy/ReadOnlyAccess"]}],
	}
}

test_ignores_groups_no_target_grants if {
	count(no_admin_groups.deny) == 0 with input as {
		"targets": [target],
		"iam_groups": [{"name": "break-glass", "attached_policies": ["arn:aws:iam::aws:policy/AdministratorAccess"]}],
	}
}

# METADATA
# title: Production access lasts at most one hour
# description: >-
#   A flow that reaches a production target (its name or its IAM group matches the regular
#   expression `input.params.production_pattern`, from `[policy.params] production_pattern`
#   in symguard.toml; default "prod") may offer at most one hour of access.
package symguard.production_max_one_hour

default pattern := "prod"

pattern := input.params.production_pattern

production(target) if regex.match(pattern, target.name)

production(target) if regex.match(pattern, target.iam_group)

deny contains finding if {
	some flow in input.flows
	flow.max_duration_seconds > 3600
	some strategy in input.strategies
	strategy.address == flow.strategy
	some address in strategy.targets
	some target in input.targets
	target.address == address
	production(target)
	finding := {
		"msg": sprintf("flow %s offers up to %d minutes of access to production target %s; at most 60 are allowed", [flow.address, flow.max_duration_seconds / 60, target.address]),
		"address": flow.address,
	}
}

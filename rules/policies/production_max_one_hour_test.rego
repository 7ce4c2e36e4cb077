package symguard.production_max_one_hour_test

import data.symguard.production_max_one_hour

input_with(seconds, name) := {
	"params": {},
	"flows": [{"address": "sym_flow.access", "strategy": "sym_strategy.iam", "max_duration_seconds": seconds}],
	"strategies": [{"address": "sym_strategy.iam", "targets": ["sym_target.t"]}],
	"targets": [{"address": "sym_target.t", "name": name, "iam_group": name}],
}

test_denies_four_hours_on_production if {
	count(production_max_one_hour.deny) == 1 with input as input_with(14400, "prod-admin")
}

test_allows_one_hour_on_production if {
	count(production_max_one_hour.deny) == 0 with input as input_with(3600, "prod-admin")
}

test_allows_long_access_elsewhere if {
	count(production_max_one_hour.deny) == 0 with input as input_with(14400, "staging-admin")
}

test_pattern_comes_from_params if {
	count(production_max_one_hour.deny) == 1 with input as object.union(
		input_with(14400, "live-admin"),
		{"params": {"production_pattern": "^live-"}},
	)
}

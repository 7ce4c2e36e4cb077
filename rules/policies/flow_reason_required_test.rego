package symguard.flow_reason_required_test

import data.symguard.flow_reason_required

flow(fields) := {"flows": [{"address": "sym_flow.access", "prompt_fields": fields}]}

test_denies_a_flow_without_fields if {
	count(flow_reason_required.deny) == 1 with input as flow([])
}

test_denies_an_optional_reason if {
	count(flow_reason_required.deny) == 1 with input as flow([{"name": "reason", "type": "string", "required": false}])
}

test_allows_a_required_reason if {
	count(flow_reason_required.deny) == 0 with input as flow([{"name": "reason", "type": "string", "required": true}])
}

# METADATA
# title: Every flow asks for a reason
# description: >-
#   Every flow has a required `string` prompt field whose name contains "reason", so each
#   grant records why it was requested.
package symguard.flow_reason_required

asks_reason(flow) if {
	some field in flow.prompt_fields
	contains(lower(field.name), "reason")
	field.type == "string"
	field.required == true
}

deny contains finding if {
	some flow in input.flows
	not asks_reason(flow)
	finding := {
		"msg": sprintf("flow %s does not ask for a required reason", [flow.address]),
		"address": flow.address,
	}
}

package ecs.compliance_test

import data.ecs.compliance

docker_hub_in_prod := data.ecs.rules.approved_registries.samples.docker_hub.input

exemption(fields) := object.union(
	{"rules": ["approved_registries"], "reason": "vendor image, ticket SEC-42", "expires": "2026-12-31"},
	fields,
)

test_matching_exemption_moves_the_violation_to_exempted if {
	decision := compliance.decision with input as docker_hub_in_prod
		with data.ecs.config.exemptions as [exemption({"scope": {"cluster": "prod", "service": "web"}})]
	decision.compliant
	decision.violations == []
	[item.rule | some item in decision.exempted] == ["approved_registries"]
	some item in decision.exempted
	item.exemption == {"reason": "vendor image, ticket SEC-42", "expires": "2026-12-31"}
	item.enforcement == "deny"
}

test_every_scope_key_must_match if {
	every scope in [
		{"account": "123456789012"},
		{"cluster": "prod"},
		{"service": "web"},
		{"family": "web"},
		{"account": "123456789012", "cluster": "prod", "service": "web", "family": "web"},
		{"cluster": "*", "family": "web"},
		{},
	] {
		decision := compliance.decision with input as docker_hub_in_prod
			with data.ecs.config.exemptions as [exemption({"scope": scope})]
		count(decision.exempted) == 1
	}
}

test_any_scope_key_that_differs_leaves_the_violation if {
	every scope in [
		{"account": "210987654321"},
		{"cluster": "staging"},
		{"service": "api"},
		{"family": "web-v2"},
		{"cluster": "prod", "service": "api"},
		{"clustr": "prod"},
	] {
		decision := compliance.decision with input as docker_hub_in_prod
			with data.ecs.config.exemptions as [exemption({"scope": scope})]
		count(decision.violations) == 1
	}
}

test_exemption_names_the_rule_or_star if {
	star := compliance.decision with input as docker_hub_in_prod
		with data.ecs.config.exemptions as [exemption({"rules": ["*"]})]
	count(star.exempted) == 1
	other := compliance.decision with input as docker_hub_in_prod
		with data.ecs.config.exemptions as [exemption({"rules": ["privileged_container"]})]
	count(other.violations) == 1
}

test_exemption_applies_through_its_expiry_day_by_the_event_time if {
	# the event's time is 2026-11-27T09:15:00Z
	last_day := compliance.decision with input as docker_hub_in_prod
		with data.ecs.config.exemptions as [exemption({"expires": "2026-11-27"})]
	count(last_day.exempted) == 1
	day_after := compliance.decision with input as docker_hub_in_prod
		with data.ecs.config.exemptions as [exemption({"expires": "2026-11-26"})]
	count(day_after.violations) == 1
}

test_expired_exemption_reports_the_violation_again if {
	decision := compliance.decision with input as docker_hub_in_prod
		with data.ecs.config.exemptions as [exemption({"expires": "2025-01-31"})]
	not decision.compliant
	decision.exempted == []
}

test_exemption_without_expiry_never_expires if {
	decision := compliance.decision with input as docker_hub_in_prod
		with data.ecs.config.exemptions as [json.remove(exemption({}), ["expires"])]
	[item.exemption | some item in decision.exempted] == [{"reason": "vendor image, ticket SEC-42", "expires": ""}]
}

test_dated_exemption_needs_a_parsable_time_and_date if {
	bad_date := compliance.decision with input as docker_hub_in_prod
		with data.ecs.config.exemptions as [exemption({"expires": "31/12/2026"})]
	count(bad_date.violations) == 1
	no_time := compliance.decision with input as json.remove(docker_hub_in_prod, ["context/time"])
		with data.ecs.config.exemptions as [exemption({})]
	count(no_time.violations) == 1
}

test_first_matching_exemption_wins if {
	exemptions := [
		exemption({"reason": "other cluster", "scope": {"cluster": "staging"}}),
		exemption({"reason": "first match"}),
		exemption({"reason": "second match"}),
	]
	decision := compliance.decision with input as docker_hub_in_prod with data.ecs.config.exemptions as exemptions
	[item.exemption.reason | some item in decision.exempted] == ["first match"]
}

test_warnings_can_be_exempted_too if {
	inp := data.ecs.rules.privileged_container.samples.privileged.input
	decision := compliance.decision with input as inp
		with data.ecs.config.exemptions as [exemption({"rules": ["privileged_container"]})]
	decision.warnings == []
	[[item.rule, item.enforcement] | some item in decision.exempted] == [["privileged_container", "warn"]]
}

registration := object.remove(docker_hub_in_prod, ["task", "service"])

test_task_scoped_rules_are_the_rules_a_cluster_or_service_exemption_covers if {
	rules := compliance.task_scoped_rules with input as registration
		with data.ecs.config.exemptions as [
			exemption({"scope": {"cluster": "prod"}}),
			exemption({"rules": ["image_tag"], "scope": {"service": "web", "family": "web"}}),
		]
	rules == {"approved_registries", "image_tag"}
}

test_task_scoped_rules_leave_out_exemptions_that_apply_without_a_task if {
	rules := compliance.task_scoped_rules with input as registration
		with data.ecs.config.exemptions as [
			exemption({"scope": {"family": "web"}}),
			exemption({"scope": {"cluster": "*"}}),
			exemption({"scope": {}}),
		]
	rules == set()
}

test_task_scoped_rules_leave_out_other_families_and_expired_exemptions if {
	rules := compliance.task_scoped_rules with input as registration
		with data.ecs.config.exemptions as [
			exemption({"scope": {"cluster": "prod", "family": "other"}}),
			exemption({"scope": {"cluster": "prod"}, "expires": "2020-01-01"}),
		]
	rules == set()
}

test_task_scoped_rules_keep_the_wildcard if {
	rules := compliance.task_scoped_rules with input as registration
		with data.ecs.config.exemptions as [exemption({"rules": ["*"], "scope": {"service": "web"}})]
	rules == {"*"}
}

package ecs.compliance_test

import data.ecs.compliance

test_shipped_configuration_has_no_errors if {
	count(compliance.config_errors) == 0
}

all_rules := concat(", ", [sprintf("%q", [id]) | some id in sort(compliance.rule_ids)])

test_enforcement_levels_and_rule_names_are_checked if {
	enforcement := {"privileged_container": "block", "privileged": "deny"}
	errors := compliance.config_errors with data.ecs.config.enforcement as enforcement
	errors == {
		"ecs.config.enforcement[\"privileged_container\"] is \"block\"; allowed: \"deny\", \"warn\" or \"off\"",
		sprintf("ecs.config.enforcement names rule \"privileged\", which does not exist; rules: %s", [all_rules]),
	}
}

test_approval_severities_must_be_asff_labels if {
	errors := compliance.config_errors with data.ecs.config.approval as {"severities": ["HIGH", "SEVERE"]}
	errors == {concat("", [
		"ecs.config.approval.severities has \"SEVERE\"; allowed: ",
		"\"CRITICAL\", \"HIGH\", \"INFORMATIONAL\", \"LOW\", \"MEDIUM\"",
	])}
}

test_lists_must_be_lists if {
	errors := compliance.config_errors with data.ecs.config.required_tags as "owner"
	errors == {"ecs.config.required_tags must be a list"}
}

test_objects_must_be_objects if {
	errors := compliance.config_errors with data.ecs.config.enforcement as []
	errors == {"ecs.config.enforcement must be an object"}
}

test_exemptions_are_checked if {
	exemptions := [
		{"rules": ["approved_registries"], "reason": "ok", "expires": "2026-12-31", "scope": {"cluster": "prod"}},
		{"rules": [], "reason": " ", "expires": "next week", "scope": {"clustr": "prod", "service": 7}},
		{"rules": ["no_such_rule"], "reason": "typo"},
	]
	errors := compliance.config_errors with data.ecs.config.exemptions as exemptions
	{msg | some msg in errors; startswith(msg, "ecs.config.exemptions[0]")} == set()
	needs_rules := "needs rules: a list of rule ids (or \"*\"); rules: %s"
	{msg | some msg in errors; startswith(msg, "ecs.config.exemptions[1]")} == {
		"ecs.config.exemptions[1]: needs a reason",
		sprintf(concat("", ["ecs.config.exemptions[1]: ", needs_rules]), [all_rules]),
		concat("", [
			"ecs.config.exemptions[1]: scope keys must be among ",
			"\"account\", \"cluster\", \"family\", \"service\", with string values",
		]),
		"ecs.config.exemptions[1]: expires must be a date, YYYY-MM-DD",
	}
	unknown_rule := sprintf(concat("", ["ecs.config.exemptions[2]: ", needs_rules]), [all_rules])
	{msg | some msg in errors; startswith(msg, "ecs.config.exemptions[2]")} == {unknown_rule}
}

test_every_rule_package_is_a_rule if {
	count(compliance.rule_ids) >= 16
	"approved_registries" in compliance.rule_ids
}

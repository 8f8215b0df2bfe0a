package ecs.compliance_test

import data.ecs.compliance
import data.ecs.testing

docker_hub := data.ecs.rules.approved_registries.samples.docker_hub.input

privileged := data.ecs.rules.privileged_container.samples.privileged.input

test_hardened_task_is_compliant_with_nothing_to_report if {
	decision := compliance.decision with input as testing.hardened
	decision == {"compliant": true, "violations": [], "warnings": [], "exempted": []}
}

test_registry_violation_denies_by_default if {
	decision := compliance.decision with input as docker_hub
	not decision.compliant
	[item.rule | some item in decision.violations] == ["approved_registries"]
	decision.warnings == []
	some item in decision.violations
	item.enforcement == "deny"
	item.container == "web"
	item.severity == "HIGH"
	item.title == "Images come from approved registries"
	"NIST 800-190 4.1.5" in item.controls
	item.remediation != ""
	object.keys(item) == {"rule", "title", "severity", "container", "message", "controls", "remediation", "enforcement"}
}

test_hardening_rules_warn_by_default if {
	decision := compliance.decision with input as privileged
	decision.compliant
	decision.violations == []
	[[item.rule, item.enforcement] | some item in decision.warnings] == [["privileged_container", "warn"]]
}

test_enforcement_comes_from_data if {
	denied := compliance.decision with input as privileged
		with data.ecs.config.enforcement.privileged_container as "deny"
	not denied.compliant
	[item.rule | some item in denied.violations] == ["privileged_container"]

	off := compliance.decision with input as docker_hub
		with data.ecs.config.enforcement.approved_registries as "off"
	off == {"compliant": true, "violations": [], "warnings": [], "exempted": []}

	warned := compliance.decision with input as docker_hub
		with data.ecs.config.enforcement.approved_registries as "warn"
	warned.compliant
	[item.rule | some item in warned.warnings] == ["approved_registries"]
}

test_invalid_enforcement_falls_back_to_the_rule_default if {
	decision := compliance.decision with input as docker_hub
		with data.ecs.config.enforcement.approved_registries as "block"
	[item.rule | some item in decision.violations] == ["approved_registries"]
}

test_rule_without_default_enforcement_warns if {
	compliance.enforcement({"rule": "custom", "default_enforcement": "maybe"}, {}) == "warn"
}

test_items_are_ordered_by_severity_then_rule_then_container if {
	inp := testing.patched([
		{"op": "add", "path": "/taskDefinition/containerDefinitions/0/privileged", "value": true},
		{"op": "remove", "path": "/taskDefinition/containerDefinitions/0/logConfiguration"},
		{"op": "remove", "path": "/taskDefinition/containerDefinitions/0/linuxParameters"},
		{"op": "replace", "path": "/taskDefinition/containerDefinitions/0/user", "value": "root"},
	])
	decision := compliance.decision with input as inp
	[[item.severity, item.rule] | some item in decision.warnings] == [
		["HIGH", "logging_configured"],
		["HIGH", "privileged_container"],
		["MEDIUM", "non_root_user"],
		["LOW", "capabilities_drop_all"],
	]
}

test_unknown_severity_sorts_last if {
	compliance.rank({"severity": "SEVERE"}) == 5
	compliance.rank({"severity": "CRITICAL"}) == 0
}

test_windows_tasks_skip_linux_only_rules if {
	windows := data.ecs.rules.windows_non_admin_user.samples.container_administrator.input
	inp := json.patch(windows, [{"op": "add", "path": "/taskDefinition/containerDefinitions/0/privileged", "value": true}])
	decision := compliance.decision with input as inp
	[item.rule | some item in decision.warnings] == ["windows_non_admin_user"]
}

test_linux_tasks_skip_windows_only_rules if {
	inp := json.remove(testing.hardened, ["taskDefinition/containerDefinitions/0/user"])
	decision := compliance.decision with input as inp
	[item.rule | some item in decision.warnings] == ["non_root_user"]
}

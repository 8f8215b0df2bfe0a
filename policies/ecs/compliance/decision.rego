# METADATA
# title: ECS compliance decision
# description: >-
#   Collects the findings of every rule package under data.ecs.rules, applies
#   the platform filter, the configured enforcement (deny, warn, off) and the
#   exemptions, and answers data.ecs.compliance.decision.
package ecs.compliance

import data.ecs.lib

# METADATA
# title: Decision
# description: >-
#   The evaluate step's query. violations are deny-level findings, warnings
#   warn-level ones, exempted the findings an active exemption covers; each list
#   is ordered by severity, rule, container and message. compliant is true when
#   there is no violation.
# entrypoint: true
decision := {
	"compliant": count(violations) == 0,
	"violations": violations,
	"warnings": warnings,
	"exempted": exempted,
}

violations := [item | some item in ordered; item.enforcement == "deny"; not item.exemption]

warnings := [item | some item in ordered; item.enforcement == "warn"; not item.exemption]

exempted := [item | some item in ordered; item.exemption]

# reported is every finding of every rule that applies to the task's platform
# and is not turned off, as a report item; an item an exemption covers
# carries it.
reported contains with_exemption(item) if {
	# every rule package under data.ecs.rules contributes its findings
	# (only their findings rules are evaluated, not the packages' helpers)
	findings := data.ecs.rules[_].findings
	some finding in findings
	lib.applies(finding.platform)
	level := enforcement(finding, lib.config.enforcement)
	level != "off"
	item := object.union(object.remove(finding, internal_fields), {"enforcement": level})
}

# internal_fields are the fields of a finding the decision's items leave out.
internal_fields := {"default_enforcement", "platform"}

with_exemption(item) := item if {
	count(lib.config.exemptions) == 0
} else := object.union(item, {"exemption": covering}) if {
	covering := exemption(item)
} else := item

ordered := [entry[4] | some entry in sort([[rank(item), item.rule, item.container, item.message, item] |
	some item in reported
])]

# rank orders severities, most severe first; an unknown severity last.
rank(item) := object.get(lib.severity_rank, item.severity, count(lib.severities))

# enforcement is the rule's level in ecs.config.enforcement, else the default
# of its METADATA (custom.enforcement), else warn.
enforcement(finding, configured) := level if {
	level := configured[finding.rule]
	lib.valid_level(level)
} else := finding.default_enforcement if {
	lib.valid_level(finding.default_enforcement)
} else := "warn"

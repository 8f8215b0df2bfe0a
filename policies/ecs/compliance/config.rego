package ecs.compliance

import data.ecs.lib

# METADATA
# title: Configuration errors
# description: >-
#   What is wrong with data.ecs.config (policies/data.json). The evaluate step
#   evaluates this once per bundle and refuses a bundle that has any, so that a
#   typo in the configuration is an error rather than a rule silently not
#   enforced.
# entrypoint: true
config_errors contains msg if {
	some rule, level in lib.config.enforcement
	not lib.valid_level(level)
	msg := sprintf("ecs.config.enforcement[%q] is %q; allowed: \"deny\", \"warn\" or \"off\"", [rule, level])
}

config_errors contains msg if {
	some rule, _ in lib.config.enforcement
	not rule in rule_ids
	msg := sprintf("ecs.config.enforcement names rule %q, which does not exist; rules: %s", [rule, lib.list(rule_ids)])
}

config_errors contains msg if {
	some severity in lib.config.approval.severities
	not severity in lib.severities
	msg := sprintf("ecs.config.approval.severities has %q; allowed: %s", [severity, lib.list(lib.severities)])
}

config_errors contains msg if {
	some key in [
		"required_tags", "allowed_capabilities", "registries", "exemptions",
		"secret_env_names", "secret_env_allow",
	]
	not is_array(lib.config[key])
	msg := sprintf("ecs.config.%s must be a list", [key])
}

config_errors contains msg if {
	some key in ["enforcement", "approval", "fargate_platform_versions"]
	not is_object(lib.config[key])
	msg := sprintf("ecs.config.%s must be an object", [key])
}

config_errors contains msg if {
	some i, candidate in lib.config.exemptions
	some problem in exemption_problems(candidate)
	msg := sprintf("ecs.config.exemptions[%d]: %s", [i, problem])
}

exemption_problems(candidate) := {problem |
	some check, problem in {
		"reason": "needs a reason",
		"rules": sprintf("needs rules: a list of rule ids (or \"*\"); rules: %s", [lib.list(rule_ids)]),
		"scope": sprintf("scope keys must be among %s, with string values", [lib.list(scope_keys)]),
		"expires": "expires must be a date, YYYY-MM-DD",
	}
	not exemption_ok(check, candidate)
}

exemption_ok("reason", candidate) if trim_space(candidate.reason) != ""

exemption_ok("rules", candidate) if {
	count(candidate.rules) > 0
	every rule in candidate.rules {
		rule in (rule_ids | {"*"})
	}
}

exemption_ok("scope", candidate) if {
	every key, value in object.get(candidate, "scope", {}) {
		key in scope_keys
		is_string(value)
	}
}

exemption_ok("expires", candidate) if not "expires" in object.keys(candidate)

exemption_ok("expires", candidate) if time.parse_ns("2006-01-02", candidate.expires)

# scope_keys are what an exemption scope may name (lib.scope has them).
scope_keys := {"account", "cluster", "service", "family"}

# rule_ids are the rules of the library: each rule package's name under
# data.ecs.rules is its id.
rule_ids contains name if {
	some name, rule in data.ecs.rules
	"findings" in object.keys(rule)
}

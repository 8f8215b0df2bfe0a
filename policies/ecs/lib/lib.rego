# METADATA
# title: Shared helpers of the ECS policy library
# description: >-
#   Input accessors (task definition, containers, volumes, environment, the
#   task's cluster, service and family), the configuration with its defaults,
#   and the builder every rule uses to turn its METADATA and a message into a
#   finding.
package ecs.lib

# defaults are the configuration values used where data.ecs.config
# (policies/data.json) sets none.
defaults := {
	"registries": [],
	"enforcement": {},
	"exemptions": [],
	"required_tags": [],
	"allowed_capabilities": ["NET_BIND_SERVICE"],
	"secret_env_names": [],
	"secret_env_allow": [],
	"fargate_platform_versions": {"linux": "1.4.0", "windows": "1.0.0"},
	"approval": {"severities": []},
}

default configured := {}

configured := data.ecs.config

# config is data.ecs.config over the defaults.
config := object.union(defaults, configured)

# severities are the ASFF severity labels, most severe first.
severities := ["CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL"]

severity_rank[label] := i if some i, label in severities

# valid_level tells whether level is an enforcement level.
valid_level(level) if level in {"deny", "warn", "off"}

# list renders strings as a sorted, quoted, comma-separated list, or "none".
list(xs) := "none" if count(xs) == 0

list(xs) := concat(", ", [sprintf("%q", [x]) | some x in sort(xs)]) if count(xs) > 0

# positive: a quantity that is set (cpu, memory): a number above 0, or a
# string other than "" and "0" (task-level cpu and memory are strings: "256",
# "1 vCPU", "0.5 GB").
positive(value) if {
	is_number(value)
	value > 0
}

positive(value) if {
	is_string(value)
	not trim_space(value) in {"", "0"}
}

# show renders a setting for a message: strings quoted, other values as
# JSON, and "unset" for null (object.get's default for a missing key).
show(null) := "unset"

show(value) := sprintf("%q", [value]) if is_string(value)

show(value) := sprintf("%v", [value]) if {
	not is_string(value)
	value != null
}

# finding is the finding of the rule whose METADATA chain is given (the rule
# calls rego.metadata.chain()): the package annotation's title and custom
# fields, plus the container ("" for the task) and the message. A rule
# without custom.id or custom.severity still reports, with a marker in their
# place that the evaluate step rejects with a clear error, rather than its
# findings silently disappearing.
finding(chain, container, message) := object.union(rule_fields(chain), {"container": container, "message": message})

# rule_fields are the report fields that come from the rule's METADATA.
rule_fields(chain) := {
	"rule": object.get(meta, ["custom", "id"], "(no METADATA custom.id)"),
	"title": object.get(meta, "title", ""),
	"severity": object.get(meta, ["custom", "severity"], "(no METADATA custom.severity)"),
	"controls": object.get(meta, ["custom", "controls"], []),
	"remediation": object.get(meta, ["custom", "remediation"], ""),
	"default_enforcement": object.get(meta, ["custom", "enforcement"], "warn"),
	"platform": object.get(meta, ["custom", "platform"], "any"),
} if {
	with_id := [link.annotations | some link in chain; link.annotations.custom.id]
	any_annotation := [link.annotations | some link in chain]
	meta := array.concat(array.concat(with_id, any_annotation), [{}])[0]
}

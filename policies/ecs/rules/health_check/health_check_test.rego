package ecs.rules.health_check_test

import data.ecs.rules.health_check
import data.ecs.testing

# Each sample of samples/samples.json: this rule reports exactly what the sample expects of it.

# the essential container has a health check; a non-essential sidecar needs none
test_sample_pass if {
	sample := health_check.samples.pass
	findings := health_check.findings with input as sample.input
	testing.reports(findings, sample, "health_check")
}

# an essential container without a health check
test_sample_missing if {
	sample := health_check.samples.missing
	findings := health_check.findings with input as sample.input
	testing.reports(findings, sample, "health_check")
}

# essential unset (ECS's default is essential) and no health check
test_sample_essential_by_default if {
	sample := health_check.samples.essential_by_default
	findings := health_check.findings with input as sample.input
	testing.reports(findings, sample, "health_check")
}

test_an_empty_command_is_no_health_check if {
	inp := testing.with_container({"healthCheck": {"command": [], "interval": 30}})
	testing.messages(health_check.findings) == {concat("", [
		"container \"web\" is essential and has no healthCheck command; allowed: a healthCheck such as ",
		"{\"command\": [\"CMD-SHELL\", \"curl -f http://localhost:8080/health || exit 1\"]}",
	])} with input as inp
}

test_non_essential_containers_need_none if {
	inp := testing.patched([
		{"op": "remove", "path": "/taskDefinition/containerDefinitions/0/healthCheck"},
		{"op": "replace", "path": "/taskDefinition/containerDefinitions/0/essential", "value": false},
	])
	count(health_check.findings) == 0 with input as inp
}

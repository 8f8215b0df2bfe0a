package ecs.rules.separate_task_role_test

import data.ecs.rules.separate_task_role
import data.ecs.testing

# Each sample of samples/samples.json: this rule reports exactly what the sample expects of it.

# the task role and the execution role are different roles
test_sample_pass if {
	sample := separate_task_role.samples.pass
	findings := separate_task_role.findings with input as sample.input
	testing.reports(findings, sample, "separate_task_role")
}

# one role is both the task role and the execution role
test_sample_same_role if {
	sample := separate_task_role.samples.same_role
	findings := separate_task_role.findings with input as sample.input
	testing.reports(findings, sample, "separate_task_role")
}

# near-miss: no task role at all (the application gets no AWS permissions)
test_sample_no_task_role if {
	sample := separate_task_role.samples.no_task_role
	findings := separate_task_role.findings with input as sample.input
	testing.reports(findings, sample, "separate_task_role")
}

test_finding_names_the_role_and_the_rule_metadata if {
	some finding in separate_task_role.findings with input as separate_task_role.samples.same_role.input
	finding.container == ""
	finding.severity == "MEDIUM"
	"Checkov: CKV_AWS_249" in finding.controls
}

test_an_empty_task_role_is_no_role if {
	inp := testing.patched([
		{"op": "replace", "path": "/taskDefinition/taskRoleArn", "value": ""},
		{"op": "replace", "path": "/taskDefinition/executionRoleArn", "value": ""},
	])
	count(separate_task_role.findings) == 0 with input as inp
}

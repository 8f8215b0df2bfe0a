package ecs.rules.secret_env_values_test

import data.ecs.rules.secret_env_values
import data.ecs.testing

# Each sample of samples/samples.json: this rule reports exactly what the sample expects of it.

# no credential-shaped values
test_sample_pass if {
	sample := secret_env_values.samples.pass
	findings := secret_env_values.findings with input as sample.input
	testing.reports(findings, sample, "secret_env_values")
}

# a value shaped like an AWS access key ID under an innocent name
test_sample_access_key_id if {
	sample := secret_env_values.samples.access_key_id
	findings := secret_env_values.findings with input as sample.input
	testing.reports(findings, sample, "secret_env_values")
}

# a temporary (ASIA) key ID inside a value passed in the task's overrides
test_sample_override_session_key if {
	sample := secret_env_values.samples.override_session_key
	findings := secret_env_values.findings with input as sample.input
	testing.reports(findings, sample, "secret_env_values")
}

# a PEM private key in a value
test_sample_private_key if {
	sample := secret_env_values.samples.private_key
	findings := secret_env_values.findings with input as sample.input
	testing.reports(findings, sample, "secret_env_values")
}

test_key_shapes_inside_words_are_not_keys if {
	inp := testing.with_container({"environment": [
		{"name": "A", "value": "XAKIAIOSFODNN7EXAMPLE"},
		{"name": "B", "value": "akiaiosfodnn7example"},
		{"name": "C", "value": "AKIA1234"},
	]})
	count(secret_env_values.findings) == 0 with input as inp
}

test_messages_never_hold_the_whole_value if {
	some finding in secret_env_values.findings with input as secret_env_values.samples.access_key_id.input
	not contains(finding.message, "AKIAIOSFODNN7EXAMPLE")
}

package ecs.rules.secret_env_names_test

import data.ecs.rules.secret_env_names
import data.ecs.testing

# Each sample of samples/samples.json: this rule reports exactly what the sample expects of it.

# the password comes from secrets; PORT is not secret
test_sample_pass if {
	sample := secret_env_names.samples.pass
	findings := secret_env_names.findings with input as sample.input
	testing.reports(findings, sample, "secret_env_names")
}

# AWS credentials in plain environment variables
test_sample_aws_secret_access_key if {
	sample := secret_env_names.samples.aws_secret_access_key
	findings := secret_env_names.findings with input as sample.input
	testing.reports(findings, sample, "secret_env_names")
}

# a password in a plain environment variable
test_sample_db_password if {
	sample := secret_env_names.samples.db_password
	findings := secret_env_names.findings with input as sample.input
	testing.reports(findings, sample, "secret_env_names")
}

# a token passed in the task's overrides (run-task --overrides)
test_sample_override_token if {
	sample := secret_env_names.samples.override_token
	findings := secret_env_names.findings with input as sample.input
	testing.reports(findings, sample, "secret_env_names")
}

test_references_to_secrets_are_not_secrets if {
	inp := testing.with_container({"environment": [
		{"name": "DB_SECRET_ARN", "value": "arn:aws:secretsmanager:us-east-1:123456789012:secret:db"},
		{"name": "TOKEN_URL", "value": "https://auth.example.com/token"},
		{"name": "PASSWORD_FILE", "value": "/run/secrets/db"},
	]})
	count(secret_env_names.findings) == 0 with input as inp
}

test_patterns_come_from_data if {
	inp := testing.with_container({"environment": [{"name": "license", "value": "x"}]})
	count(secret_env_names.findings) == 1 with input as inp with data.ecs.config.secret_env_names as ["^LICENSE$"]
	count(secret_env_names.findings) == 0 with input as inp
}

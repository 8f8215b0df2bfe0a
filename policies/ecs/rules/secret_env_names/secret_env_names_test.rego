package ecs.rules.secret_env_names_test

import data.ecs.lib
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

# names that contain a keyword but are not secrets, and secret names whose value is a reference or placeholder
test_sample_near_misses if {
	sample := secret_env_names.samples.near_misses
	findings := secret_env_names.findings with input as sample.input
	testing.reports(findings, sample, "secret_env_names")
}

# secret keywords anywhere in the name, in any case style
test_sample_keyword_anywhere if {
	sample := secret_env_names.samples.keyword_anywhere
	findings := secret_env_names.findings with input as sample.input
	testing.reports(findings, sample, "secret_env_names")
}

# a log driver option named like a secret (the Splunk HEC token)
test_sample_log_option if {
	sample := secret_env_names.samples.log_option
	findings := secret_env_names.findings with input as sample.input
	testing.reports(findings, sample, "secret_env_names")
}

test_references_to_secrets_are_not_secrets if {
	inp := testing.with_container({"environment": [
		{"name": "DB_SECRET_ARN", "value": "arn:aws:secretsmanager:us-east-1:123456789012:secret:db"},
		{"name": "TOKEN_URL", "value": "https://auth.example.com/token"},
		{"name": "PASSWORD_FILE", "value": "/run/secrets/db"},
		{"name": "DB_PASSWORD", "value": "ssm:/prod/db/password"},
		{"name": "JWT_SECRET", "value": "<set me>"},
		{"name": "SIGNING_KEY", "value": "********"},
		{"name": "API_TOKEN", "value": "{{ api_token }}"},
		{"name": "ADMIN_PASSWORD", "value": "%ADMIN_PASSWORD%"},
		{"name": "SECRET"},
	]})
	count(secret_env_names.findings) == 0 with input as inp
}

test_patterns_come_from_data if {
	inp := testing.with_container({"environment": [{"name": "license", "value": "LIC-2026-0042"}]})
	count(secret_env_names.findings) == 1 with input as inp with data.ecs.config.secret_env_names as ["^LICENSE$"]
	count(secret_env_names.findings) == 0 with input as inp
}

test_the_allow_list_silences_known_names if {
	inp := testing.with_container({"environment": [
		{"name": "MAX_TOKEN", "value": "4096"},
		{"name": "GITHUB_TOKEN", "value": "abc123def456"},
	]})
	count(secret_env_names.findings) == 2 with input as inp
	findings := secret_env_names.findings with input as inp with data.ecs.config.secret_env_allow as ["^MAX_TOKEN$"]
	{finding.message | some finding in findings} == {concat("", [
		"environment variable \"GITHUB_TOKEN\" of container \"web\" (task definition) is named like a secret and ",
		"holds a plain-text value; allowed: pass it under \"secrets\" (valueFrom Secrets Manager or SSM Parameter Store)",
	])}
}

test_messages_never_hold_the_value if {
	every name in ["db_password", "keyword_anywhere", "aws_secret_access_key"] {
		sample := secret_env_names.samples[name]
		findings := secret_env_names.findings with input as sample.input
		count(findings) > 0
		every finding in findings {
			every setting in sample.input.taskDefinition.containerDefinitions[0].environment {
				not contains(finding.message, setting.value)
			}
		}
	}
}

# keywords anywhere in the name, every case style; near-misses are whole-word
test_secret_names if {
	every name in [
		"DB_PASS", "PASS", "SMTP_PWD", "PASSWD", "db_password", "dbPassword", "DBPassword", "MYSQL_ROOT_PASSWORD",
		"SECRET_KEY_BASE", "API_KEY", "apiKey", "APIKEY", "x-api-key", "GITHUB_TOKEN", "accessToken", "AUTH_TOKEN",
		"CLIENT_SECRET", "PRIVATE_KEY", "SSH_KEY", "ENCRYPTION_KEY", "PASSPHRASE", "GOOGLE_CREDENTIALS",
		"splunk-token", "HTTP_Passwd", "AWS_SECRET_ACCESS_KEY", "ECS_ENGINE_AUTH_DATA", "DB_PASSWORD2",
	] {
		lib.secret_name(name)
	}
}

test_names_that_are_not_secrets if {
	every name in [
		"PASSENGER_COUNT", "TOKENIZER_MODEL", "KEYBOARD_LAYOUT", "SECRETS_MANAGER_ENDPOINT", "BYPASS_CACHE",
		"PASSWORD_MIN_LENGTH", "TOKEN_URL", "DB_PASSWORD_FILE", "SECRET_ARN", "OAUTH_TOKEN_ENDPOINT",
		"PASS_THROUGH", "KEY_ID", "CACHE_KEY", "PUBLIC_KEY", "MONKEY", "PWD", "OLDPWD", "PORT",
		"MYSQL_ALLOW_EMPTY_PASSWORD", "TOKEN_TTL_SECONDS", "JWT_SECRET_NAME", "COMPASS_URL",
	] {
		not lib.secret_name(name)
	}
}

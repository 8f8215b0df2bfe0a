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

# OpenSSH, SSH2, PGP, PKCS#8 and PuTTY private keys
test_sample_private_key_formats if {
	sample := secret_env_values.samples.private_key_formats
	findings := secret_env_values.findings with input as sample.input
	testing.reports(findings, sample, "secret_env_values")
}

# GitHub, GitLab, Slack and Stripe tokens under names that say nothing
test_sample_tokens if {
	sample := secret_env_values.samples.tokens
	findings := secret_env_values.findings with input as sample.input
	testing.reports(findings, sample, "secret_env_values")
}

# a JSON Web Token (its header and payload decode to JSON)
test_sample_jwt if {
	sample := secret_env_values.samples.jwt
	findings := secret_env_values.findings with input as sample.input
	testing.reports(findings, sample, "secret_env_values")
}

# credentials in a URL: the message keeps the scheme and host, never the user or password
test_sample_url_credentials if {
	sample := secret_env_values.samples.url_credentials
	findings := secret_env_values.findings with input as sample.input
	testing.reports(findings, sample, "secret_env_values")
}

# a high-entropy value under a secret-sounding name
test_sample_high_entropy_secret_name if {
	sample := secret_env_values.samples.high_entropy_secret_name
	findings := secret_env_values.findings with input as sample.input
	testing.reports(findings, sample, "secret_env_values")
}

# a token passed as a command argument
test_sample_command_argument if {
	sample := secret_env_values.samples.command_argument
	findings := secret_env_values.findings with input as sample.input
	testing.reports(findings, sample, "secret_env_values")
}

# token-shaped strings that are not credentials
test_sample_near_misses if {
	sample := secret_env_values.samples.near_misses
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

# Messages never print a secret: for every sample, no finding's message holds
# any environment value, override value or argument longer than four
# characters (a redacted prefix at most).
test_messages_never_hold_a_value if {
	every sample in secret_env_values.samples {
		findings := secret_env_values.findings with input as sample.input
		every finding in findings {
			every value in sample_values(sample) {
				not contains(finding.message, value)
			}
		}
	}
}

sample_values(sample) := ({setting.value |
	some container in sample.input.taskDefinition.containerDefinitions
	some setting in object.get(container, "environment", [])
	count(setting.value) > 4
} | {setting.value |
	some override in sample.input.task.overrides.containerOverrides
	some setting in object.get(override, "environment", [])
	count(setting.value) > 4
}) | {value |
	some container in sample.input.taskDefinition.containerDefinitions
	some value in object.get(container, "command", [])
	count(value) > 4
}

test_every_shape_is_found_and_redacted if {
	every kind, value in {
		"an AWS access key ID": "AKIAIOSFODNN7EXAMPLE",
		"a GitHub token": "github_pat_11EXAMPLE0example0EXAM_EXAMPLEexampleEXAMPLEexampleEXAMPLEexampleEXAMPLEexampleEXA",
		"a GitLab token": "glrt-EXAMPLEexample00000000",
		"a Slack token": "xoxp-0000000000-0000000000-0000000000000-EXAMPLEexample",
		"a Stripe live key": "rk_live_EXAMPLEexample000000000000",
		"an npm token": "npm_EXAMPLEexampleEXAMPLEexample00000000",
		"a PyPI token": "pypi-AgEIcHlwaS5vcmcCJDEXAMPLEexampleEXAMPLEexampleEXAMPLEexampleEXAMPLE00",
		"a SendGrid API key": "SG.EXAMPLEexample00000000.EXAMPLEexampleEXAMPLEexampleEXAMPLEexample0",
		"an OpenAI API key": "sk-proj-EXAMPLEexampleT3BlbkFJEXAMPLEexample",
		"a Google API key": "AIzaSyEXAMPLEexampleEXAMPLEexample00000",
		"an Azure storage account key": concat("", [
			"DefaultEndpointsProtocol=https;AccountName=x;AccountKey=",
			"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
			"ABCDEFGHIJKLMNOPQRSTUV==",
		]),
		"a Mailchimp API key": "0123456789abcdef0123456789abcdef-us12",
		"a Square OAuth secret": "sq0csp-EXAMPLEexampleEXAMPLEexampleEXAMPLEexample0",
		"a Telegram bot token": "123456789:AAEXAMPLEexampleEXAMPLEexampleEXAMP",
		"a Discord bot token": "MTEXAMPLEexampleEXAMPLEex.GEXAMP.EXAMPLEexampleEXAMPLEexampleEX",
	} {
		inp := testing.with_container({"environment": [{"name": "X", "value": value}]})
		findings := secret_env_values.findings with input as inp
		count(findings) == 1
		some finding in findings
		contains(finding.message, concat("", ["holds ", kind, " ("]))
		not contains(finding.message, value)
	}
}

test_log_options_and_overridden_commands_are_scanned if {
	inp := json.patch(testing.hardened, [
		{"op": "add", "path": "/taskDefinition/containerDefinitions/0/logConfiguration", "value": {
			"logDriver": "splunk",
			"options": {"splunk-url": "https://u:EXAMPLEpassw0rd@splunk.internal:8088"},
		}},
		{"op": "add", "path": "/task/overrides/containerOverrides/0/command", "value": ["--key", "AKIAIOSFODNN7EXAMPLE"]},
	])
	{finding.message | some finding in secret_env_values.findings with input as inp} == {
		concat("", [
			"log option \"splunk-url\" of container \"web\" (task definition) holds credentials in a URL ",
			"(https://<credentials>@splunk.internal:8088); allowed: no credentials in plain-text values",
		]),
		concat("", [
			"command argument of container \"web\" (task overrides) holds an AWS access key ID ",
			"(AKIA... 20 characters); allowed: no credentials in plain-text values",
		]),
	}
}

# high entropy counts only under a secret-sounding name, and only above
# detect-secrets' limits
test_entropy_needs_a_secret_name_and_enough_entropy if {
	inp := testing.with_container({"environment": [
		{"name": "BUILD_ID", "value": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"},
		{"name": "DB_PASSWORD", "value": "aaaaaaaaaaaaaaaaaaaaaaaa"},
		{"name": "API_TOKEN", "value": "short1"},
		{"name": "API_SECRET", "value": "q7Zt3LmN0xVb8Rk2Yp5Wc9Hd1Gf4Js6AeUo+/Qi"},
	]})
	{finding.message | some finding in secret_env_values.findings with input as inp} == {concat("", [
		"environment variable \"API_SECRET\" of container \"web\" (task definition) holds a high-entropy ",
		"base64 string (39 characters); allowed: no credentials in plain-text values",
	])}
}

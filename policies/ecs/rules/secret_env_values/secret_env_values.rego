# METADATA
# title: No credentials in environment variable values
# description: >-
#   Whatever its name, a plain-text value that holds a credential is readable
#   by anyone who can describe the task definition or the task. Detected as
#   detect-secrets does (the library behind Prowler's ECS secrets check), by
#   the secret.scan built-in:
#   AWS access key IDs, GitHub, GitLab, Slack, Stripe, npm, PyPI, SendGrid,
#   OpenAI, Google, Azure storage, Mailchimp, Square, Telegram and Discord
#   tokens, Slack webhooks, JSON Web Tokens (header and payload must decode
#   to JSON), credentials in URLs (scheme://user:password@host), PEM,
#   OpenSSH, SSH2, PGP and PuTTY private keys; and, under a secret-sounding
#   name, high-entropy hex or base64 strings. Checked in environment
#   variables and log driver options (task definition and overrides) and in
#   command and entry point arguments. Messages show the kind of credential
#   and at most a redacted prefix, never the value.
# custom:
#   id: secret_env_values
#   severity: CRITICAL
#   enforcement: warn
#   platform: any
#   controls:
#     - AWS Security Hub ECS.8
#     - NIST 800-190 4.1.4
#     - CIS Docker Benchmark 4.10
#     - "Prowler: ecs_task_definitions_no_environment_secrets"
#   remediation: >-
#     Rotate the credential now (it has been exposed), then use the task role
#     for AWS access, or pass the secret under "secrets" (or
#     logConfiguration.secretOptions) from Secrets Manager or SSM Parameter
#     Store.
package ecs.rules.secret_env_values

import data.ecs.lib

# values are the settings and arguments whose value is a string.
values contains setting if {
	some setting in (lib.settings | lib.arguments)
	is_string(setting.value)
}

# credentials of known formats, whatever the setting's name (secret.scan:
# typed tokens, JSON Web Tokens, credentials in URLs, private keys)
findings contains lib.finding(rego.metadata.chain(), setting.container, message) if {
	some setting in values
	some found in secret.scan(setting.value)
	message := describe(setting, found.kind, found.redacted)
}

# a high-entropy string under a secret-sounding name, unless it holds a
# credential of a known format (reported above)
findings contains lib.finding(rego.metadata.chain(), setting.container, message) if {
	some setting in values
	setting.name != ""
	lib.secret_name(setting.name)
	not lib.not_a_secret(setting.value)
	count(secret.scan(setting.value)) == 0
	charset := high_entropy(setting.value)
	kind := sprintf("a high-entropy %s string", [charset])
	message := describe(setting, kind, sprintf("%d characters", [count(setting.value)]))
}

describe(setting, kind, redacted) := sprintf("%s holds %s (%s); allowed: no credentials in plain-text values", [
	lib.described(setting),
	kind,
	redacted,
])

# high_entropy: detect-secrets' limits, for strings of 16 characters or more:
# hex above 3.0 bits per character, base64 above 4.5.
high_entropy(value) := "hex" if {
	count(value) >= 16
	regex.match(`^[0-9a-fA-F]+$`, value)
	secret.entropy(value) > 3
}

high_entropy(value) := "base64" if {
	count(value) >= 16
	not regex.match(`^[0-9a-fA-F]+$`, value)
	regex.match(`^[A-Za-z0-9+/_-]+={0,2}$`, value)
	secret.entropy(value) > 4.5
}

# METADATA
# title: No secrets in environment variables (by name)
# description: >-
#   Plain environment variables and log driver options are visible to anyone
#   who can describe the task definition or the task. A setting whose name
#   says it holds a secret must come from "secrets" (or the log
#   configuration's "secretOptions") instead. A name sounds like a secret when
#   one of its words is a secret keyword, anywhere in the name (DB_PASS,
#   MYSQL_ROOT_PASSWORD, SECRET_KEY_BASE, apiKey, GITHUB_TOKEN, ...), unless a
#   later word makes it configuration (TOKEN_URL, PASSWORD_MIN_LENGTH,
#   DB_PASSWORD_FILE); whole words only (PASSENGER_COUNT, TOKENIZER_MODEL and
#   KEYBOARD_LAYOUT are not secrets). Values that cannot be the secret itself
#   are not reported: references (ARNs, CloudFormation dynamic references,
#   paths, URLs without credentials), template variables, masks, booleans
#   and placeholders.
#   ecs.config.secret_env_names adds name patterns; ecs.config.secret_env_allow
#   lists names known not to be secrets. Checked in the task definition and in
#   the task's overrides. Messages name the setting, never its value.
# custom:
#   id: secret_env_names
#   severity: HIGH
#   enforcement: warn
#   platform: any
#   controls:
#     - AWS Security Hub ECS.8
#     - NIST 800-190 4.1.4
#     - CIS Docker Benchmark 4.10
#     - "Prowler: ecs_task_definitions_no_environment_secrets"
#   remediation: >-
#     Store the value in AWS Secrets Manager or SSM Parameter Store and pass it
#     under "secrets" (name + valueFrom), or for a log driver option under
#     logConfiguration.secretOptions; for AWS credentials use the task role
#     instead. If the name is not a secret, add it to ecs.config.secret_env_allow.
package ecs.rules.secret_env_names

import data.ecs.lib

findings contains lib.finding(rego.metadata.chain(), setting.container, message) if {
	some setting in lib.settings
	lib.secret_name(setting.name)
	not lib.not_a_secret(setting.value)
	message := sprintf("%s is named like a secret and holds a plain-text value; allowed: %s", [
		lib.described(setting),
		allowed[setting.kind],
	])
}

allowed := {
	"environment variable": "pass it under \"secrets\" (valueFrom Secrets Manager or SSM Parameter Store)",
	"log option": "pass it under logConfiguration.secretOptions (valueFrom Secrets Manager or SSM Parameter Store)",
}

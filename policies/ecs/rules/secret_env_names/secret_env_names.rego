# METADATA
# title: No secrets in environment variables (by name)
# description: >-
#   Plain environment variables are visible to anyone who can describe the task
#   definition or the task. A variable whose name says it holds a secret (AWS
#   credentials, ECS_ENGINE_AUTH_DATA, *_PASSWORD, *_TOKEN, *_API_KEY, ...; the
#   patterns are ecs.config.secret_env_names, matched against the upper-cased
#   name) must come from "secrets" instead. Checked in the task definition and
#   in the task's overrides.
# custom:
#   id: secret_env_names
#   severity: HIGH
#   enforcement: warn
#   platform: any
#   controls:
#     - AWS Security Hub ECS.8
#     - NIST 800-190 4.1.4
#     - CIS Docker Benchmark 4.10
#   remediation: >-
#     Store the value in AWS Secrets Manager or SSM Parameter Store and pass it
#     under "secrets" (name + valueFrom); for AWS credentials use the task role
#     instead.
package ecs.rules.secret_env_names

import data.ecs.lib

findings contains lib.finding(rego.metadata.chain(), env.container, message) if {
	some env in lib.environment
	secret_name(env.name)
	message := sprintf("environment variable %q of container %q (%s) is named like a secret; %s", [
		env.name,
		env.container,
		env.source,
		"allowed: pass it under \"secrets\" (valueFrom Secrets Manager or SSM Parameter Store)",
	])
}

secret_name(name) if {
	some pattern in lib.config.secret_env_names
	regex.match(pattern, upper(name))
}

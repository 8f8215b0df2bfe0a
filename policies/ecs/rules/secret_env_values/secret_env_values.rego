# METADATA
# title: No credentials in environment variable values
# description: >-
#   Whatever the variable's name, a plain environment value shaped like an AWS
#   access key ID (AKIA..., ASIA...) or a PEM private key is a credential
#   readable by anyone who can describe the task definition or the task.
#   Checked in the task definition and in the task's overrides; messages show
#   only a masked form of the value.
# custom:
#   id: secret_env_values
#   severity: CRITICAL
#   enforcement: warn
#   platform: any
#   controls:
#     - AWS Security Hub ECS.8
#     - NIST 800-190 4.1.4
#     - CIS Docker Benchmark 4.10
#   remediation: >-
#     Rotate the credential now (it has been exposed), then use the task role
#     for AWS access, or pass the secret under "secrets" from Secrets Manager or
#     SSM Parameter Store.
package ecs.rules.secret_env_values

import data.ecs.lib

findings contains lib.finding(rego.metadata.chain(), env.container, message) if {
	some env in lib.environment
	some kind, pattern in shapes
	matched := regex.find_n(pattern, env.value, 1)[0]
	message := sprintf("environment variable %q of container %q (%s) holds %s (%s); %s", [
		env.name,
		env.container,
		env.source,
		kind,
		mask(kind, matched),
		"allowed: no credentials in plain environment values",
	])
}

# shapes are the credential shapes looked for in values.
shapes := {
	"an AWS access key ID": `\b(AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}\b`,
	"a private key": `-----BEGIN ([A-Z]+ )?PRIVATE KEY-----`,
}

# mask shows an access key ID's prefix and last four characters, as the AWS
# console does, and nothing of a private key.
mask("an AWS access key ID", key) := sprintf("%s...%s", [substring(key, 0, 4), substring(key, 16, 4)])

mask("a private key", _) := "PEM block"

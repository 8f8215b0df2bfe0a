# METADATA
# title: The awslogs driver does not block the application
# description: >-
#   In blocking mode, when the awslogs driver cannot deliver logs to
#   CloudWatch Logs (throttling, a network or service issue, a missing log
#   group), every write to stdout or stderr waits: the application hangs,
#   fails its health checks and is replaced, an outage caused by logging.
#   In "non-blocking" mode the driver buffers (max-buffer-size) and drops
#   the oldest lines instead. An unset mode leaves the choice to the
#   account's defaultLogDriverMode setting; this rule asks for it explicitly.
# custom:
#   id: awslogs_non_blocking
#   severity: LOW
#   enforcement: warn
#   platform: any
#   controls:
#     - "Prowler: ecs_task_definitions_logging_block_mode"
#     - NIST 800-53 SC-5
#   remediation: >-
#     Add "mode": "non-blocking" and "max-buffer-size": "25m" to the
#     container's logConfiguration.options.
package ecs.rules.awslogs_non_blocking

import data.ecs.lib

findings contains lib.finding(rego.metadata.chain(), container.name, message) if {
	some container in lib.containers
	container.logConfiguration.logDriver == "awslogs"
	mode := object.get(container, ["logConfiguration", "options", "mode"], null)
	mode != "non-blocking"
	message := sprintf("container %q sends its logs with awslogs in %s; %s", [
		container.name,
		described(mode),
		"allowed: \"mode\": \"non-blocking\" (with a \"max-buffer-size\") in logConfiguration.options",
	])
}

described(null) := "the account's default mode (\"mode\" unset)"

described(mode) := sprintf("mode %q", [mode]) if mode != null

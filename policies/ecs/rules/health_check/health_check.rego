# METADATA
# title: Essential containers have a health check
# description: >-
#   Without a container health check ECS only knows that the process runs:
#   a hung or broken essential container keeps its task RUNNING and, behind
#   a load balancer without its own check, keeps receiving traffic. ECS
#   ignores HEALTHCHECK instructions baked into the image; only the task
#   definition's healthCheck counts. Containers marked essential (the
#   default when "essential" is unset) are checked.
# custom:
#   id: health_check
#   severity: LOW
#   enforcement: warn
#   platform: any
#   controls:
#     - "KICS: ECS Task Definition HealthCheck Missing"
#     - "Kyverno: require-pod-probes"
#     - NIST 800-53 SI-4
#   remediation: >-
#     Add a healthCheck to the container definition, e.g. {"command":
#     ["CMD-SHELL", "curl -f http://localhost:8080/health || exit 1"],
#     "interval": 30, "timeout": 5, "retries": 3, "startPeriod": 10}.
package ecs.rules.health_check

import data.ecs.lib

findings contains lib.finding(rego.metadata.chain(), container.name, message) if {
	some container in lib.containers
	object.get(container, "essential", true) == true
	count(object.get(container, ["healthCheck", "command"], [])) == 0
	message := sprintf("container %q is essential and has no healthCheck command; %s", [
		container.name,
		"allowed: a healthCheck such as {\"command\": [\"CMD-SHELL\", \"curl -f http://localhost:8080/health || exit 1\"]}",
	])
}

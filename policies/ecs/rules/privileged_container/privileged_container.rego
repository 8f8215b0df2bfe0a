# METADATA
# title: Containers do not run privileged
# description: >-
#   A privileged container gets every Linux capability and the host's devices:
#   whoever compromises it controls the host (the EC2 instance and every task
#   on it).
# custom:
#   id: privileged_container
#   severity: HIGH
#   enforcement: warn
#   platform: linux
#   controls:
#     - AWS Security Hub ECS.4
#     - NIST 800-190 4.4.3
#     - CIS Docker Benchmark 5.4
#     - "Pod Security Standards: Baseline (privileged containers)"
#   remediation: >-
#     Remove "privileged": true from the container definition; if the container
#     needs one kernel feature, add only that capability under
#     linuxParameters.capabilities.add.
package ecs.rules.privileged_container

import data.ecs.lib

findings contains lib.finding(rego.metadata.chain(), container.name, message) if {
	some container in lib.containers
	container.privileged == true
	message := sprintf(
		"container %q runs privileged (\"privileged\": true); allowed: \"privileged\": false or unset",
		[container.name],
	)
}

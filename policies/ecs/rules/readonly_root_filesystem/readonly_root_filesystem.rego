# METADATA
# title: Containers have a read-only root filesystem
# description: >-
#   A writable root filesystem lets an attacker drop tools and change binaries
#   or configuration in the running container.
# custom:
#   id: readonly_root_filesystem
#   severity: HIGH
#   enforcement: warn
#   platform: linux
#   controls:
#     - AWS Security Hub ECS.5
#     - NIST 800-190 4.4.3
#     - CIS Docker Benchmark 5.12
#   remediation: >-
#     Set "readonlyRootFilesystem": true and mount a volume (task storage or
#     EFS) where the application must write, e.g. /tmp.
package ecs.rules.readonly_root_filesystem

import data.ecs.lib

findings contains lib.finding(rego.metadata.chain(), container.name, message) if {
	some container in lib.containers
	setting := object.get(container, "readonlyRootFilesystem", null)
	setting != true
	message := sprintf(
		"container %q has a writable root filesystem (readonlyRootFilesystem: %s); allowed: true",
		[container.name, lib.show(setting)],
	)
}

# METADATA
# title: Containers add only allowed Linux capabilities
# description: >-
#   Capabilities such as SYS_ADMIN, NET_ADMIN or SYS_PTRACE give a container
#   much of root's power over the host. A container may add only capabilities
#   in ecs.config.allowed_capabilities (by default NET_BIND_SERVICE, as the
#   Pod Security Standards' restricted profile allows).
# custom:
#   id: capabilities_allowed
#   severity: HIGH
#   enforcement: warn
#   platform: linux
#   controls:
#     - NIST 800-190 4.4.3
#     - CIS Docker Benchmark 5.3
#     - "Pod Security Standards: Baseline (capabilities)"
#     - "Pod Security Standards: Restricted (capabilities)"
#   remediation: >-
#     Remove the capability from linuxParameters.capabilities.add (most
#     applications need none), or, after review, add it to
#     ecs.config.allowed_capabilities or exempt the task.
package ecs.rules.capabilities_allowed

import data.ecs.lib

findings contains lib.finding(rego.metadata.chain(), container.name, message) if {
	some container in lib.containers
	added := {name(capability) | some capability in container.linuxParameters.capabilities.add}
	extra := added - allowed
	count(extra) > 0
	message := sprintf(
		"container %q adds Linux capabilities %s; allowed to add: %s",
		[container.name, lib.list(extra), lib.list(allowed)],
	)
}

allowed contains name(capability) if some capability in lib.config.allowed_capabilities

# name normalizes a capability: upper case, without the CAP_ prefix.
name(capability) := trim_prefix(upper(capability), "CAP_")

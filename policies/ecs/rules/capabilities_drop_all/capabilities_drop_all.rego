# METADATA
# title: Containers drop all Linux capabilities
# description: >-
#   Docker gives a container a default set of capabilities (CHOWN, SETUID,
#   NET_RAW, ...) that most applications never use. Dropping ALL and adding
#   back only what is needed shrinks what an attacker can do in the container.
# custom:
#   id: capabilities_drop_all
#   severity: LOW
#   enforcement: warn
#   platform: linux
#   controls:
#     - NIST 800-190 4.4.3
#     - CIS Docker Benchmark 5.3
#     - "Pod Security Standards: Restricted (capabilities)"
#   remediation: >-
#     Set linuxParameters.capabilities.drop to ["ALL"] and list the few
#     capabilities the application needs under add.
package ecs.rules.capabilities_drop_all

import data.ecs.lib

findings contains lib.finding(rego.metadata.chain(), container.name, message) if {
	some container in lib.containers
	drop := object.get(container, ["linuxParameters", "capabilities", "drop"], [])
	dropped := {upper(capability) | some capability in drop}
	not "ALL" in dropped
	message := sprintf("container %q does not drop all Linux capabilities (drops: %s); %s", [
		container.name,
		lib.list(dropped),
		"allowed: linuxParameters.capabilities.drop [\"ALL\"]",
	])
}

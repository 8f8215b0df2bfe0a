# METADATA
# title: Windows containers run as a non-administrator user
# description: >-
#   A Windows container without a user, or with ContainerAdministrator, runs
#   with administrator rights in the container.
# custom:
#   id: windows_non_admin_user
#   severity: MEDIUM
#   enforcement: warn
#   platform: windows
#   controls:
#     - AWS Security Hub ECS.21
#     - NIST 800-190 4.4.3
#   remediation: >-
#     Set "user" to ContainerUser (or another non-administrator account of the
#     image).
package ecs.rules.windows_non_admin_user

import data.ecs.lib

findings contains lib.finding(rego.metadata.chain(), container.name, message) if {
	some container in lib.containers
	user := trim_space(object.get(container, "user", ""))
	lower(user) in {"", "containeradministrator"}
	message := sprintf(
		"Windows container %q runs as %s, an administrator; allowed: a non-administrator user such as \"ContainerUser\"",
		[container.name, describe(user)],
	)
}

describe("") := "the image's default user (no user set)"

describe(user) := sprintf("%q", [user]) if user != ""

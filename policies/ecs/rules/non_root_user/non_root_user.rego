# METADATA
# title: Linux containers run as a non-root user
# description: >-
#   A process running as root in a container is root on the host once it
#   escapes. The container definition must set user to a non-root user: an
#   unset user (the image's default, usually root), "root", "0" and "0:<group>"
#   all run as root.
# custom:
#   id: non_root_user
#   severity: MEDIUM
#   enforcement: warn
#   platform: linux
#   controls:
#     - AWS Security Hub ECS.20
#     - NIST 800-190 4.4.3
#     - CIS Docker Benchmark 4.1
#     - "Pod Security Standards: Restricted (running as non-root)"
#   remediation: >-
#     Set "user" to a non-root UID (and group), e.g. "10001:10001", and make the
#     files the application writes owned by that user in the image.
package ecs.rules.non_root_user

import data.ecs.lib

findings contains lib.finding(rego.metadata.chain(), container.name, message(container.name, user)) if {
	some container in lib.containers
	user := trim_space(object.get(container, "user", ""))
	lower(split(user, ":")[0]) in {"", "root", "0"}
}

message(name, "") := sprintf(
	"container %q sets no user, so it runs as the image's user (root unless the image says otherwise); %s",
	[name, allowed],
)

message(name, user) := sprintf("container %q runs as user %q, which is root; %s", [name, user, allowed]) if user != ""

allowed := "allowed: a non-root user or UID, e.g. \"10001\" or \"10001:10001\""

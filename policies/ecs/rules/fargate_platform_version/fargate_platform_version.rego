# METADATA
# title: Fargate runs the latest platform version
# description: >-
#   Each Fargate platform version is a kernel and container runtime; older
#   ones miss security fixes and features. A Fargate service must use LATEST
#   or a version at least ecs.config.fargate_platform_versions (linux
#   1.4.0, windows 1.0.0). Without a service (a standalone task), the task's
#   own platform version is checked.
# custom:
#   id: fargate_platform_version
#   severity: MEDIUM
#   enforcement: warn
#   platform: any
#   controls:
#     - AWS Security Hub ECS.10
#     - "AWS Config: ecs-fargate-latest-platform-version"
#     - NIST 800-53 SI-2
#   remediation: >-
#     Update the service with --platform-version LATEST (or run the task with
#     it) and redeploy.
package ecs.rules.fargate_platform_version

import data.ecs.lib

findings contains lib.finding(rego.metadata.chain(), "", message) if {
	lib.launch_type == "FARGATE"
	[what, version] := used
	minimum := lib.config.fargate_platform_versions[family]
	semver.is_valid(version)
	semver.compare(version, minimum) < 0
	message := sprintf("%s runs on Fargate platform version %q (%s); allowed: \"LATEST\" or %q and later", [
		what,
		version,
		family,
		minimum,
	])
}

# used is what chose the platform version and which version: the service's
# configuration when there is one, else the task's own.
used := [service_name, lib.ecs_service.platformVersion] if {
	lib.ecs_service.platformVersion
} else := [sprintf("task of %q", [lib.task_definition_name]), input.task.platformVersion] if {
	not lib.ecs_service
}

service_name := sprintf("service %q", [lib.service_name])

default family := "linux"

family := "windows" if lib.windows

family := "windows" if startswith(upper(object.get(lib.ecs_service, "platformFamily", "")), "WINDOWS")

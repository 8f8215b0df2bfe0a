package ecs.lib

# settings are the plain-text values a container gets that may hold a
# secret, each {container, kind, name, value, source}: environment variables
# (task definition and run-task overrides) and log driver options (but those
# of awslogs, which takes no credentials).
settings contains setting(container.name, "environment variable", env, "task definition") if {
	some container in containers
	some env in container.environment
}

settings contains setting(override.name, "environment variable", env, "task overrides") if {
	some override in input.task.overrides.containerOverrides
	some env in override.environment
}

# Log options of drivers that take credentials (splunk, awsfirelens, ...);
# awslogs takes none (it writes with the execution role).
settings contains {
	"container": container.name,
	"kind": "log option",
	"name": name,
	"value": value,
	"source": "task definition",
} if {
	some container in containers
	container.logConfiguration.logDriver != "awslogs"
	some name, value in container.logConfiguration.options
}

setting(container, kind, env, source) := {
	"container": container,
	"kind": kind,
	"name": object.get(env, "name", ""),
	"value": object.get(env, "value", ""),
	"source": source,
}

# arguments are the command and entry point arguments, from the task
# definition and the task's overrides, as settings without a name.
arguments contains {
	"container": container.name,
	"kind": sprintf("%s argument", [key]),
	"name": "",
	"value": argument,
	"source": "task definition",
} if {
	some container in containers
	some key in ["command", "entryPoint"]
	some argument in container[key]
}

arguments contains {
	"container": override.name,
	"kind": "command argument",
	"name": "",
	"value": argument,
	"source": "task overrides",
} if {
	some override in input.task.overrides.containerOverrides
	some argument in override.command
}

# ecs_service is input.service: the task's service as DescribeServices
# returns it, without its run-time state. Undefined for a standalone task,
# a task definition judged without a task, or a service that could not be
# described: service rules then do not apply.
ecs_service := input.service if is_object(input.service)

# service_name is input.service's name, else the one the task's group gives
# (undefined without input.service).
service_name := object.get(ecs_service, "serviceName", service)

# launch_type is where the task runs: the task's launch type (a Fargate
# capacity provider counts as FARGATE), else its service's, else the task
# definition's only compatibility; "" when it cannot be told.
default launch_type := ""

launch_type := input.task.launchType if {
	input.task.launchType != ""
} else := "FARGATE" if {
	startswith(input.task.capacityProviderName, "FARGATE")
} else := "EC2" if {
	input.task.capacityProviderName != ""
} else := ecs_service.launchType if {
	ecs_service.launchType != ""
} else := "FARGATE" if {
	some strategy in ecs_service.capacityProviderStrategy
	startswith(strategy.capacityProvider, "FARGATE")
} else := task_definition.requiresCompatibilities[0] if {
	count(task_definition.requiresCompatibilities) == 1
}

# described names a setting for a message: `environment variable "DB_PASS"
# of container "web" (task definition)`, `command argument of container
# "web" (task overrides)`.
described(setting) := sprintf("%s %q of container %q (%s)", [
	setting.kind,
	setting.name,
	setting.container,
	setting.source,
]) if {
	setting.name != ""
} else := sprintf("%s of container %q (%s)", [setting.kind, setting.container, setting.source])

package ecs.lib

# Accessors of the policy input (input.task, input.taskDefinition,
# input.tags, input.context), with defaults so that rules stay defined on
# partial input.

default task_definition := {}

task_definition := input.taskDefinition

# task_definition_name is "family:revision", how the console names a task
# definition.
default task_definition_name := "(unnamed task definition)"

task_definition_name := sprintf("%s:%v", [task_definition.family, task_definition.revision])

default containers := []

containers := task_definition.containerDefinitions

default volumes := []

volumes := task_definition.volumes

# windows is true for a Windows task definition; Linux-only rules skip it.
windows if startswith(upper(task_definition.runtimePlatform.operatingSystemFamily), "WINDOWS")

# applies(platform) tells whether a rule for the platform ("any", "linux" or
# "windows", from its METADATA custom.platform) applies to this task.
applies("any")

applies("linux") if not windows

applies("windows") if windows

# images are the images the task runs, per container, from the task definition
# and from the task itself (the event), so that both are checked.
images contains {"container": container.name, "image": container.image} if {
	some container in containers
}

images contains {"container": container.name, "image": container.image} if {
	some container in input.task.containers
}

# environment is every plain environment variable the containers get, from
# the task definition and from the task's overrides (run-task --overrides).
environment contains {
	"container": container.name,
	"name": env.name,
	"value": env.value,
	"source": "task definition",
} if {
	some container in containers
	some env in container.environment
}

environment contains {
	"container": override.name,
	"name": env.name,
	"value": env.value,
	"source": "task overrides",
} if {
	some override in input.task.overrides.containerOverrides
	some env in override.environment
}

# account_ecr is the Amazon ECR registry of the account in its region.
account_ecr := sprintf("%s.dkr.ecr.%s.%s", [input.context.account, input.context.region, aws_domain])

default aws_domain := "amazonaws.com"

aws_domain := "amazonaws.com.cn" if startswith(input.context.region, "cn-")

# approved_registries are the registry hosts images may come from:
# ecs.config.registries, or the account's own ECR when that list is empty.
default approved_registries := set()

approved_registries := {lower(registry) | some registry in config.registries} if {
	count(config.registries) > 0
} else := {account_ecr} if {
	account_ecr
}

# scope is what exemptions are matched against.
scope := {
	"account": object.get(input, ["context", "account"], ""),
	"cluster": cluster,
	"service": service,
	"family": family,
}

default cluster := ""

cluster := last(split(input.task.clusterArn, "/"))

default service := ""

service := trim_prefix(input.task.group, "service:") if startswith(input.task.group, "service:")

default family := ""

family := task_definition.family

family := split(last(split(input.task.taskDefinitionArn, "/")), ":")[0] if not task_definition.family

last(xs) := xs[count(xs) - 1]

package ecs.lib

# Accessors of the policy input (input.task, input.taskDefinition,
# input.service, input.tags, input.context), with defaults so that rules stay
# defined on partial input. Rules read of input.task only what the judgement
# key covers (see policies/README.md, "Writing a rule").

default task_definition := {}

task_definition := input.taskDefinition

# task_definition_name is "family:revision", how the console names a task
# definition.
default task_definition_name := "(unnamed task definition)"

task_definition_name := sprintf("%s:%v", [task_definition.family, task_definition.revision]) if {
	task_definition.revision
} else := task_definition.family if {
	# a task definition that is not registered yet (a template, CI)
	task_definition.family
}

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

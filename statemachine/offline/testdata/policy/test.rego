# A small policy for the local executor's tests (offline, replay, the
# command line): which branch the workflow takes must not change when the
# project's rules (policies/) do. A container image outside the account's
# ECR is a deny-level violation; an essential container without a health
# check is a warning.
package ecs.compliance

ecr := sprintf("%s.dkr.ecr.%s.amazonaws.com/", [input.context.account, input.context.region])

violations contains v if {
	some c in input.taskDefinition.containerDefinitions
	not startswith(c.image, ecr)
	v := {
		"rule": "approved_registries",
		"title": "Images come from the account's ECR",
		"severity": "HIGH",
		"container": c.name,
		"message": sprintf("container %q image %q is not from %s", [c.name, c.image, ecr]),
		"controls": ["test"],
		"enforcement": "deny",
	}
}

warnings contains w if {
	some c in input.taskDefinition.containerDefinitions
	not c.healthCheck
	w := {
		"rule": "health_check",
		"title": "Essential containers have a health check",
		"severity": "LOW",
		"container": c.name,
		"message": sprintf("container %q has no healthCheck", [c.name]),
		"controls": ["test"],
		"enforcement": "warn",
	}
}

decision := {
	"compliant": count(violations) == 0,
	"violations": [v | some v in violations],
	"warnings": [w | some w in warnings],
	"exempted": [],
}

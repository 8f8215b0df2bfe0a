package ecs.lib_test

import data.ecs.lib
import data.ecs.testing

test_scope_is_parsed_from_the_task if {
	scope := lib.scope with input as testing.hardened
	scope == {"account": "123456789012", "cluster": "prod", "service": "web", "family": "web"}
}

test_family_falls_back_to_the_task_definition_arn if {
	lib.family == "web" with input as json.remove(testing.hardened, ["taskDefinition"])
}

test_standalone_task_has_no_service if {
	inp := testing.patched([{"op": "replace", "path": "/task/group", "value": "family:web"}])
	lib.service == "" with input as inp
}

test_empty_input_has_defaults if {
	lib.scope == {"account": "", "cluster": "", "service": "", "family": ""} with input as {}
	lib.containers == [] with input as {}
	lib.volumes == [] with input as {}
	lib.task_definition_name == "(unnamed task definition)" with input as {}
	lib.approved_registries == set() with input as {}
}

test_windows_is_read_from_the_runtime_platform if {
	windows := data.ecs.rules.windows_non_admin_user.samples.pass.input
	lib.windows with input as windows
	not lib.windows with input as testing.hardened
	lib.applies("windows") with input as windows
	not lib.applies("linux") with input as windows
	lib.applies("any") with input as windows
}

test_config_defaults_apply_without_data if {
	lib.config == lib.defaults with data.ecs.config as {}
	lib.config.required_tags == ["owner"]
}

test_list_renders_sorted_quoted_values if {
	lib.list({"b", "a"}) == "\"a\", \"b\""
	lib.list([]) == "none"
}

test_show_renders_settings if {
	lib.show(null) == "unset"
	lib.show("x") == "\"x\""
	lib.show(false) == "false"
}

test_finding_without_metadata_is_marked_not_dropped if {
	finding := lib.finding([{"path": ["data", "x"], "annotations": {"scope": "package", "title": "X"}}], "web", "m")
	finding.rule == "(no METADATA custom.id)"
	finding.severity == "(no METADATA custom.severity)"
	finding.title == "X"
	lib.finding([], "", "m").rule == "(no METADATA custom.id)"
}

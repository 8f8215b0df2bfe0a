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

test_the_account_ecr_follows_the_partition if {
	every region, host in {
		"us-east-1": "123456789012.dkr.ecr.us-east-1.amazonaws.com",
		"us-gov-west-1": "123456789012.dkr.ecr.us-gov-west-1.amazonaws.com",
		"cn-northwest-1": "123456789012.dkr.ecr.cn-northwest-1.amazonaws.com.cn",
		"eusc-de-east-1": "123456789012.dkr.ecr.eusc-de-east-1.amazonaws.eu",
		"us-iso-east-1": "123456789012.dkr.ecr.us-iso-east-1.c2s.ic.gov",
		"us-isob-east-1": "123456789012.dkr.ecr.us-isob-east-1.sc2s.sgov.gov",
		"eu-isoe-west-1": "123456789012.dkr.ecr.eu-isoe-west-1.cloud.adc-e.uk",
		"us-isof-south-1": "123456789012.dkr.ecr.us-isof-south-1.csp.hci.ic.gov",
	} {
		lib.account_ecr == host with input.context as {"account": "123456789012", "region": region}
	}
}

test_registry_entries_carry_the_identity if {
	lib.registry_entries == {{
		"valid": true, "error": "", "host": "123456789012.dkr-ecr.us-east-1.on.aws", "path": "team",
		"registry_id": "123456789012.dkr.ecr.us-east-1.amazonaws.com",
	}} with data.ecs.config.registries as ["123456789012.dkr-ecr.us-east-1.on.aws/team"]
}

test_service_is_read_only_when_it_is_an_object if {
	lib.ecs_service == {"serviceName": "web"} with input as {"service": {"serviceName": "web"}}
	not lib.ecs_service with input as {"service": null}
	not lib.ecs_service with input as {}
}

test_launch_type_is_empty_when_unknown if {
	lib.launch_type == "" with input as {}
	lib.launch_type == "EXTERNAL" with input as {"taskDefinition": {"requiresCompatibilities": ["EXTERNAL"]}}
	lib.launch_type == "EC2" with input as {"service": {"launchType": "EC2"}}
}

# awslogs options hold no credentials: they are not settings
test_settings_hold_environment_overrides_and_log_options if {
	inp := json.patch(testing.hardened, [
		{"op": "add", "path": "/task/overrides/containerOverrides/0/environment", "value": [{"name": "A", "value": "1"}]},
		{"op": "add", "path": "/taskDefinition/containerDefinitions/0/environment/-", "value": {"name": "NO_VALUE"}},
	])
	settings := lib.settings with input as inp
	{lib.described(setting) | some setting in settings} == {
		"environment variable \"PORT\" of container \"web\" (task definition)",
		"environment variable \"NO_VALUE\" of container \"web\" (task definition)",
		"environment variable \"A\" of container \"web\" (task overrides)",
	}
	some setting in settings
	setting.name == "NO_VALUE"
	setting.value == ""
}

test_name_words_split_every_case_style if {
	lib.name_words("DB_PASSWORD") == ["db", "password"]
	lib.name_words("dbPassword") == ["db", "password"]
	lib.name_words("APIKey") == ["api", "key"]
	lib.name_words("x-api-key.v2") == ["x", "api", "key", "v"]
	lib.name_words("") == []
}

test_values_that_cannot_be_the_secret if {
	every value in [
		"", "  ", "arn:aws:secretsmanager:us-east-1:123456789012:secret:db", "arn:aws-cn:ssm:cn-north-1:1:parameter/x",
		"{{resolve:ssm-secure:/db/password}}", "ssm:/prod/db", "/run/secrets/db", "./secret.txt", "~/.pgpass",
		"https://vault.internal/v1/secret/db", "${DB_PASSWORD}", "$DB_PASSWORD", "{{ .Password }}", "<password>",
		"%PASSWORD%", "****", "xxxx", "true", "No", "changeme", "REDACTED", 42, null,
	] {
		lib.not_a_secret(value)
	}
	every value in ["hunter2", "postgres://u:p@db/x", "s3cr3t!", "0000", "/K7MDENG/bPxRfiCYEXAMPLEKEY"] {
		not lib.not_a_secret(value)
	}
}

test_log_options_of_drivers_that_take_credentials_are_settings if {
	splunk := {"logDriver": "splunk", "options": {"splunk-token": "t"}}
	settings := lib.settings with input as testing.with_container({"logConfiguration": splunk})
	{lib.described(setting) | some setting in settings} == {
		"environment variable \"PORT\" of container \"web\" (task definition)",
		"log option \"splunk-token\" of container \"web\" (task definition)",
	}
}

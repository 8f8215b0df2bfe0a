package ecs.compliance_test

import data.ecs.compliance

test_registries_must_be_hosts if {
	registries := [
		"docker.io", "https://ghcr.io", "ghcr.io/acme",
		"registry.internal:5000/team", "ghcr.io/acme/", "ghcr .io",
	]
	errors := compliance.config_errors with data.ecs.config.registries as registries
	count(errors) == 3
	some msg in errors
	startswith(msg, concat("", [
		"ecs.config.registries has \"https://ghcr.io\": the registry host \"https:\" is not a host name, ",
		"IPv4 or [IPv6] address with an optional :port; allowed: a registry host",
	]))
}

# every host form an image reference accepts: IPv6 literals, IPv4, ports,
# every ECR endpoint form, localhost
test_registries_accept_every_host_form_of_image_references if {
	registries := [
		"[::1]:5000", "[fd00::1]/team", "10.0.0.1:5000", "localhost",
		"123456789012.dkr-ecr-fips.us-east-1.on.aws",
		"123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn",
		"REGISTRY.INTERNAL:5000",
	]
	count(compliance.config_errors) == 0 with data.ecs.config.registries as registries
}

# "registry/app" is Docker Hub's repository, so "registry" can never match an
# image: say so rather than approve nothing silently
test_a_bare_word_is_not_a_registry if {
	errors := compliance.config_errors with data.ecs.config.registries as ["registry", 7]
	errors == {
		concat("", [
			"ecs.config.registries has \"registry\": the registry host \"registry\" has no dot and no port, ",
			"so an image reference never reads it as a registry (\"registry/app\" is Docker Hub's repository ",
			"\"docker.io/registry/app\"); allowed: a registry host as in an image reference, optionally with a port ",
			"and a repository path, e.g. \"123456789012.dkr.ecr.us-east-1.amazonaws.com\", \"registry.internal:5000\", ",
			"\"[fd00::1]:5000\" or \"ghcr.io/acme\"",
		]),
		"ecs.config.registries has 7, which is not a string",
	}
}

test_secret_name_patterns_must_compile if {
	errors := compliance.config_errors with data.ecs.config.secret_env_names as ["^OK$", "(unclosed"]
		with data.ecs.config.secret_env_allow as [3]
	errors == {
		"ecs.config.secret_env_names has \"(unclosed\", which is not a valid regular expression",
		"ecs.config.secret_env_allow has 3, which is not a valid regular expression",
	}
}

test_fargate_platform_versions_are_checked if {
	versions := {"linux": "1.4", "windows": "1.0.0", "macos": "1.0.0"}
	errors := compliance.config_errors with data.ecs.config.fargate_platform_versions as versions
	allowed := "allowed: \"linux\" and \"windows\", each a version such as \"1.4.0\""
	errors == {
		sprintf("ecs.config.fargate_platform_versions[\"linux\"] is \"1.4\"; %s", [allowed]),
		sprintf("ecs.config.fargate_platform_versions[\"macos\"] is \"1.0.0\"; %s", [allowed]),
	}
	errors_of_type := compliance.config_errors with data.ecs.config.fargate_platform_versions as ["1.4.0"]
	errors_of_type == {"ecs.config.fargate_platform_versions must be an object"}
}

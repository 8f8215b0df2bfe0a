package ecs.compliance

import data.ecs.lib

# Configuration errors in the values of lists: registries, the secret name
# patterns and allow-list, the Fargate platform versions.

config_errors contains msg if {
	some registry in lib.config.registries
	is_string(registry)
	parsed := image.registry(registry)
	not parsed.valid
	msg := sprintf("ecs.config.registries has %q: %s; allowed: %s", [
		registry,
		parsed.error,
		concat("", [
			"a registry host as in an image reference, optionally with a port and a repository path, e.g. ",
			"\"123456789012.dkr.ecr.us-east-1.amazonaws.com\", \"registry.internal:5000\", ",
			"\"[fd00::1]:5000\" or \"ghcr.io/acme\"",
		]),
	])
}

config_errors contains msg if {
	some registry in lib.config.registries
	not is_string(registry)
	msg := sprintf("ecs.config.registries has %s, which is not a string", [json.marshal(registry)])
}

config_errors contains msg if {
	some key in ["secret_env_names", "secret_env_allow"]
	some pattern in lib.config[key]
	not valid_pattern(pattern)
	msg := sprintf("ecs.config.%s has %s, which is not a valid regular expression", [key, json.marshal(pattern)])
}

config_errors contains msg if {
	is_object(lib.config.fargate_platform_versions)
	some family, version in lib.config.fargate_platform_versions
	not valid_version(family, version)
	msg := sprintf("ecs.config.fargate_platform_versions[%q] is %s; allowed: %s", [
		family,
		json.marshal(version),
		"\"linux\" and \"windows\", each a version such as \"1.4.0\"",
	])
}

valid_pattern(pattern) if {
	is_string(pattern)
	regex.is_valid(pattern)
}

valid_version(family, version) if {
	family in {"linux", "windows"}
	is_string(version)
	semver.is_valid(version)
}

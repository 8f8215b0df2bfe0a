package ecs.lib

# account_ecr is the Amazon ECR registry of the account in its region, as
# its IPv4 endpoint; image.registry gives it the identity that every other
# endpoint of that registry (FIPS, dual-stack) shares.
account_ecr := sprintf("%s.dkr.ecr.%s.%s", [input.context.account, input.context.region, aws_domain])

default aws_domain := "amazonaws.com"

# The partition's domain, from the region's prefix (us-gov-* regions are in
# amazonaws.com).
aws_domain := domain if {
	some prefix, domain in {
		"cn-": "amazonaws.com.cn",
		"eusc-": "amazonaws.eu",
		"us-iso-": "c2s.ic.gov",
		"us-isob-": "sc2s.sgov.gov",
		"eu-isoe-": "cloud.adc-e.uk",
		"us-isof-": "csp.hci.ic.gov",
	}
	startswith(input.context.region, prefix)
}

# approved_registries are the registries images may come from, as
# configured (ecs.config.registries), or the account's own ECR when that
# list is empty.
default approved_registries := set()

approved_registries := {registry | some registry in config.registries} if {
	count(config.registries) > 0
} else := {account_ecr} if {
	account_ecr
}

# registry_entries are the approved registries parsed by image.registry:
# {valid, error, host, path, registry_id}.
registry_entries contains image.registry(entry) if {
	some entry in approved_registries
}

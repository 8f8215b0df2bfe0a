package ecs.rules.service_tags_test

import data.ecs.rules.service_tags
import data.ecs.testing

# Each sample of samples/samples.json: this rule reports exactly what the sample expects of it.

# the service carries an owner tag
test_sample_pass if {
	sample := service_tags.samples.pass
	findings := service_tags.findings with input as sample.input
	testing.reports(findings, sample, "service_tags")
}

# the service has no tags
test_sample_untagged if {
	sample := service_tags.samples.untagged
	findings := service_tags.findings with input as sample.input
	testing.reports(findings, sample, "service_tags")
}

# only tags AWS set (aws:*), which do not count
test_sample_aws_tags_only if {
	sample := service_tags.samples.aws_tags_only
	findings := service_tags.findings with input as sample.input
	testing.reports(findings, sample, "service_tags")
}

test_the_example_follows_required_tags if {
	inp := service_tags.samples.untagged.input
	both := "service \"web\" has no tags; allowed: at least one tag, e.g. \"cost-center\", \"owner\""
	testing.messages(service_tags.findings) == {both} with input as inp
		with data.ecs.config.required_tags as ["owner", "cost-center"]
	fallback := "service \"web\" has no tags; allowed: at least one tag, e.g. \"owner\""
	testing.messages(service_tags.findings) == {fallback} with input as inp with data.ecs.config.required_tags as []
}

test_a_service_without_a_tags_key_is_untagged if {
	inp := json.remove(service_tags.samples.pass.input, ["service/tags"])
	count(service_tags.findings) == 1 with input as inp
}

package ecs.rules.required_tags_test

import data.ecs.rules.required_tags
import data.ecs.testing

# Each sample of samples/samples.json: this rule reports exactly what the sample expects of it.

# tagged with owner
test_sample_pass if {
	sample := required_tags.samples.pass
	findings := required_tags.findings with input as sample.input
	testing.reports(findings, sample, "required_tags")
}

# no tags at all
test_sample_untagged if {
	sample := required_tags.samples.untagged
	findings := required_tags.findings with input as sample.input
	testing.reports(findings, sample, "required_tags")
}

# owner tag with an empty value
test_sample_empty_owner if {
	sample := required_tags.samples.empty_owner
	findings := required_tags.findings with input as sample.input
	testing.reports(findings, sample, "required_tags")
}

test_required_tags_come_from_data if {
	findings := required_tags.findings with input as testing.hardened
		with data.ecs.config.required_tags as ["owner", "cost-center", "data-classification"]
	testing.messages(findings) == {concat("", [
		"task definition \"web:3\" lacks required tags \"cost-center\", \"data-classification\" ",
		"(it has: \"environment\", \"owner\"); allowed: all of \"cost-center\", \"data-classification\", \"owner\", ",
		"with non-empty values",
	])}
}

test_nothing_required_nothing_reported if {
	untagged := json.remove(testing.hardened, ["tags"])
	count(required_tags.findings) == 0 with input as untagged with data.ecs.config.required_tags as []
}

package ecs.rules.capabilities_drop_all_test

import data.ecs.rules.capabilities_drop_all
import data.ecs.testing

# Each sample of samples/samples.json: this rule reports exactly what the sample expects of it.

# drops ALL
test_sample_pass if {
	sample := capabilities_drop_all.samples.pass
	findings := capabilities_drop_all.findings with input as sample.input
	testing.reports(findings, sample, "capabilities_drop_all")
}

# no linuxParameters at all
test_sample_no_drop if {
	sample := capabilities_drop_all.samples.no_drop
	findings := capabilities_drop_all.findings with input as sample.input
	testing.reports(findings, sample, "capabilities_drop_all")
}

# drops only NET_RAW
test_sample_drops_some if {
	sample := capabilities_drop_all.samples.drops_some
	findings := capabilities_drop_all.findings with input as sample.input
	testing.reports(findings, sample, "capabilities_drop_all")
}

test_lower_case_all_counts if {
	inp := testing.with_container({"linuxParameters": {"capabilities": {"drop": ["all"]}}})
	count(capabilities_drop_all.findings) == 0 with input as inp
}

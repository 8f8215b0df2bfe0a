package ecs.rules.non_root_user_test

import data.ecs.rules.non_root_user
import data.ecs.testing

# Each sample of samples/samples.json: this rule reports exactly what the sample expects of it.

# user 10001:10001
test_sample_pass if {
	sample := non_root_user.samples.pass
	findings := non_root_user.findings with input as sample.input
	testing.reports(findings, sample, "non_root_user")
}

# no user: the image's default, root for most images
test_sample_unset if {
	sample := non_root_user.samples.unset
	findings := non_root_user.findings with input as sample.input
	testing.reports(findings, sample, "non_root_user")
}

# user root
test_sample_root if {
	sample := non_root_user.samples.root
	findings := non_root_user.findings with input as sample.input
	testing.reports(findings, sample, "non_root_user")
}

# user 0
test_sample_uid_zero if {
	sample := non_root_user.samples.uid_zero
	findings := non_root_user.findings with input as sample.input
	testing.reports(findings, sample, "non_root_user")
}

# user 0:1000 (root with another group)
test_sample_uid_zero_with_group if {
	sample := non_root_user.samples.uid_zero_with_group
	findings := non_root_user.findings with input as sample.input
	testing.reports(findings, sample, "non_root_user")
}

test_root_spellings if {
	every user in ["ROOT", " 0 ", "root:root", "0:0", ""] {
		count(non_root_user.findings) == 1 with input as testing.with_container({"user": user})
	}
}

test_non_root_users_pass if {
	every user in ["1000", "1000:0", "app", "nobody:nogroup", "10"] {
		count(non_root_user.findings) == 0 with input as testing.with_container({"user": user})
	}
}

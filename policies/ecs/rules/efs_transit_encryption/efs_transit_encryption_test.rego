package ecs.rules.efs_transit_encryption_test

import data.ecs.rules.efs_transit_encryption
import data.ecs.testing

# Each sample of samples/samples.json: this rule reports exactly what the sample expects of it.

# an EFS volume with transit encryption
test_sample_pass if {
	sample := efs_transit_encryption.samples.pass
	findings := efs_transit_encryption.findings with input as sample.input
	testing.reports(findings, sample, "efs_transit_encryption")
}

# transitEncryption DISABLED
test_sample_disabled if {
	sample := efs_transit_encryption.samples.disabled
	findings := efs_transit_encryption.findings with input as sample.input
	testing.reports(findings, sample, "efs_transit_encryption")
}

# transitEncryption not set (ECS's default is DISABLED)
test_sample_unset if {
	sample := efs_transit_encryption.samples.unset
	findings := efs_transit_encryption.findings with input as sample.input
	testing.reports(findings, sample, "efs_transit_encryption")
}

test_other_volume_kinds_are_ignored if {
	inp := testing.patched([{"op": "replace", "path": "/taskDefinition/volumes", "value": [
		{"name": "scratch", "host": {}},
		{"name": "docker", "dockerVolumeConfiguration": {"scope": "task", "driver": "local"}},
	]}])
	count(efs_transit_encryption.findings) == 0 with input as inp
}

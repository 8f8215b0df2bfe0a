package ecs.rules.host_path_volumes_test

import data.ecs.rules.host_path_volumes
import data.ecs.testing

# Each sample of samples/samples.json: this rule reports exactly what the sample expects of it.

# a task storage volume (no host.sourcePath) mounted at /tmp
test_sample_pass if {
	sample := host_path_volumes.samples.pass
	findings := host_path_volumes.findings with input as sample.input
	testing.reports(findings, sample, "host_path_volumes")
}

# the Docker socket mounted into the container
test_sample_docker_socket if {
	sample := host_path_volumes.samples.docker_socket
	findings := host_path_volumes.findings with input as sample.input
	testing.reports(findings, sample, "host_path_volumes")
}

# the host's /etc mounted read-only
test_sample_host_etc if {
	sample := host_path_volumes.samples.host_etc
	findings := host_path_volumes.findings with input as sample.input
	testing.reports(findings, sample, "host_path_volumes")
}

test_windows_docker_pipe_is_a_runtime_socket if {
	pipe := `\\.\pipe\docker_engine`
	inp := testing.patched([
		{"op": "replace", "path": "/taskDefinition/volumes", "value": [{"name": "pipe", "host": {"sourcePath": pipe}}]},
		{
			"op": "replace",
			"path": "/taskDefinition/containerDefinitions/0/mountPoints",
			"value": [{"sourceVolume": "pipe", "containerPath": pipe}],
		},
	])
	some finding in host_path_volumes.findings with input as inp
	contains(finding.message, "the container runtime's socket")
}

test_unmounted_host_volume_is_not_reported if {
	volumes := [{"name": "etc", "host": {"sourcePath": "/etc"}}]
	inp := testing.patched([{"op": "replace", "path": "/taskDefinition/volumes", "value": volumes}])
	count(host_path_volumes.findings) == 0 with input as inp
}

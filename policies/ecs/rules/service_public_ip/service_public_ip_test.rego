package ecs.rules.service_public_ip_test

import data.ecs.rules.service_public_ip
import data.ecs.testing

# Each sample of samples/samples.json: this rule reports exactly what the sample expects of it.

# the service's tasks get no public IP address
test_sample_pass if {
	sample := service_public_ip.samples.pass
	findings := service_public_ip.findings with input as sample.input
	testing.reports(findings, sample, "service_public_ip")
}

# the service assigns public IP addresses
test_sample_public_ip if {
	sample := service_public_ip.samples.public_ip
	findings := service_public_ip.findings with input as sample.input
	testing.reports(findings, sample, "service_public_ip")
}

# near-miss: a standalone task has no service to judge
test_sample_standalone_task if {
	sample := service_public_ip.samples.standalone_task
	findings := service_public_ip.findings with input as sample.input
	testing.reports(findings, sample, "service_public_ip")
}

# without input.service (standalone task, CI check, service not described)
# the rule does not apply
test_absent_service_is_not_judged if {
	count(service_public_ip.findings) == 0 with input as testing.hardened
	not_an_object := json.patch(testing.hardened, [{"op": "add", "path": "/service", "value": "web"}])
	count(service_public_ip.findings) == 0 with input as not_an_object
}

# METADATA
# title: Services do not assign public IP addresses
# description: >-
#   A service whose awsvpcConfiguration has assignPublicIp ENABLED gives every
#   task a public address: the containers are reachable from the internet
#   whenever the subnet routes to an internet gateway and a security group
#   allows it. Reach them through a load balancer instead, and pull images
#   through a NAT gateway or VPC endpoints. Checked when the task belongs to
#   a service (input.service).
# custom:
#   id: service_public_ip
#   severity: HIGH
#   enforcement: warn
#   platform: any
#   controls:
#     - AWS Security Hub ECS.2
#     - NIST 800-53 AC-4
#     - NIST 800-53 SC-7
#   remediation: >-
#     Update the service with assignPublicIp DISABLED in its
#     networkConfiguration.awsvpcConfiguration, in private subnets with a NAT
#     gateway or VPC endpoints (ECR, S3, CloudWatch Logs) for outbound access.
package ecs.rules.service_public_ip

import data.ecs.lib

findings contains lib.finding(rego.metadata.chain(), "", message) if {
	lib.ecs_service.networkConfiguration.awsvpcConfiguration.assignPublicIp == "ENABLED"
	message := sprintf("service %q assigns public IP addresses to its tasks (assignPublicIp ENABLED); allowed: %s", [
		lib.service_name,
		"assignPublicIp DISABLED",
	])
}

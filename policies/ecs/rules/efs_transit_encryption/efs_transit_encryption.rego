# METADATA
# title: EFS volumes are encrypted in transit
# description: >-
#   An EFS volume mounted without transit encryption sends file contents over
#   the network in clear text.
# custom:
#   id: efs_transit_encryption
#   severity: MEDIUM
#   enforcement: warn
#   platform: any
#   controls:
#     - AWS Security Hub ECS.18
#     - NIST 800-53 SC-8
#   remediation: >-
#     Set efsVolumeConfiguration.transitEncryption to "ENABLED" (and consider an
#     access point and IAM authorization).
package ecs.rules.efs_transit_encryption

import data.ecs.lib

findings contains lib.finding(rego.metadata.chain(), "", message) if {
	some volume in lib.volumes
	setting := object.get(volume.efsVolumeConfiguration, "transitEncryption", null)
	setting != "ENABLED"
	message := sprintf(
		"EFS volume %q (file system %q) of task definition %q has transitEncryption %s; allowed: \"ENABLED\"",
		[
			volume.name,
			object.get(volume.efsVolumeConfiguration, "fileSystemId", ""),
			lib.task_definition_name,
			lib.show(setting),
		],
	)
}

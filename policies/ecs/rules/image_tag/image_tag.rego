# METADATA
# title: Images do not use the latest tag
# description: >-
#   An image with the tag "latest", or with no tag (which means latest), runs
#   whatever was pushed last. Every image of the task definition must name a
#   version tag or a digest.
# custom:
#   id: image_tag
#   severity: MEDIUM
#   enforcement: warn
#   platform: any
#   controls:
#     - NIST 800-190 4.2.2
#     - "Kyverno: disallow-latest-tag"
#   remediation: >-
#     Tag images with a version (repo:1.4.2, or the git commit) and reference
#     that tag, or better a digest; turn on tag immutability in the ECR
#     repository so that a tag cannot be moved.
package ecs.rules.image_tag

import data.ecs.lib

findings contains lib.finding(rego.metadata.chain(), container.name, message) if {
	some container in lib.containers
	parsed := image.parse(container.image)
	parsed.valid
	parsed.digest == ""
	parsed.tag in {"", "latest"}
	message := sprintf(
		"container %q image %q %s; allowed: a version tag (e.g. %q) or a digest (e.g. %q)",
		[
			container.name,
			container.image,
			what(parsed.tag),
			concat(":", [parsed.name, "1.4.2"]),
			concat("@", [parsed.name, "sha256:<digest>"]),
		],
	)
}

what("") := "has no tag, so it runs whatever \"latest\" is"

what("latest") := "uses the \"latest\" tag"

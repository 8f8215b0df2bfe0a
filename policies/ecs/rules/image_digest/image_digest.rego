# METADATA
# title: Images are pinned by digest
# description: >-
#   A tag can be moved to another image after review; a digest cannot. Every
#   image of the task definition must name its digest (image@sha256:...).
# custom:
#   id: image_digest
#   severity: MEDIUM
#   enforcement: warn
#   platform: any
#   controls:
#     - NIST 800-190 4.2.2
#     - NIST 800-190 4.1.5
#     - "Kyverno: require-image-digest"
#   remediation: >-
#     Reference the image by digest, e.g. repo:1.4.2@sha256:<digest> (ECR shows
#     the digest of each pushed image; `docker buildx imagetools inspect` prints
#     it), and update the task definition when the image changes.
package ecs.rules.image_digest

import data.ecs.lib

findings contains lib.finding(rego.metadata.chain(), container.name, message) if {
	some container in lib.containers
	parsed := image.parse(container.image)
	parsed.valid
	parsed.digest == ""
	message := sprintf("container %q image %q is not pinned by digest; %s", [
		container.name,
		container.image,
		sprintf("allowed: an image reference with a digest, e.g. \"%s@sha256:<digest>\"", [container.image]),
	])
}

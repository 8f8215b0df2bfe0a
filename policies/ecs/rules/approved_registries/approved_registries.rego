# METADATA
# title: Images come from approved registries
# description: >-
#   Every image the task runs, in the task definition and in the running task,
#   must come from a registry in ecs.config.registries. The registry is the
#   host (and port) of the image reference as Docker reads it ("nginx" is
#   docker.io/library/nginx), judged by the registry it names, never as a
#   string prefix: every documented endpoint of one Amazon ECR registry
#   (FIPS, dual-stack, China) is that registry; other hosts compare exactly,
#   case-insensitively, with their port. An entry may add a repository path
#   ("ghcr.io/acme"): then the image's repository must be that path or below
#   it, segment by segment. An empty list means the account's own Amazon ECR
#   registry in its region.
# custom:
#   id: approved_registries
#   severity: HIGH
#   enforcement: deny
#   platform: any
#   controls:
#     - NIST 800-190 4.1.5
#     - NIST 800-190 4.2.3
#     - CIS Docker Benchmark 4.2
#     - "Kyverno: restrict-image-registries"
#   remediation: >-
#     Push the image to an approved registry (by default this account's Amazon
#     ECR registry in this region; an ECR pull-through cache rule mirrors public
#     images there) and reference it from there, or add the registry host to
#     ecs.config.registries.
package ecs.rules.approved_registries

import data.ecs.lib

findings contains lib.finding(rego.metadata.chain(), ref.container, message(ref, parsed)) if {
	some ref in lib.images
	parsed := image.parse(ref.image)
	not approved(parsed)
}

# approved: the image's registry is an approved one (same identity: every
# endpoint of one ECR registry, any case, the same port), and its
# repository is at or below the entry's path, segment by segment.
approved(parsed) if {
	parsed.valid
	some entry in lib.registry_entries
	entry.valid
	entry.registry_id == parsed.registry_id
	under(parsed.repository, entry.path)
}

under(_, "")

under(repository, path) if repository == path

under(repository, path) if startswith(repository, concat("", [path, "/"]))

message(ref, parsed) := sprintf(
	"container %q image %q is from registry %q (repository %q), which is not approved; approved registries: %s",
	[ref.container, ref.image, parsed.registry, parsed.repository, lib.list(lib.approved_registries)],
) if {
	parsed.valid
}

message(ref, parsed) := sprintf(
	"container %q image %q is not a valid image reference: %s; approved registries: %s",
	[ref.container, ref.image, parsed.error, lib.list(lib.approved_registries)],
) if {
	not parsed.valid
}

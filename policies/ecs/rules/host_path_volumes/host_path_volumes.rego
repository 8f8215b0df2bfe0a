# METADATA
# title: Containers do not mount host paths
# description: >-
#   A bind mount of a path of the EC2 instance (a volume with host.sourcePath)
#   exposes the host's files to the container; the Docker socket gives full
#   control of the host. Task storage volumes (no sourcePath), EFS and Docker
#   volumes are fine.
# custom:
#   id: host_path_volumes
#   severity: HIGH
#   enforcement: warn
#   platform: any
#   controls:
#     - NIST 800-190 4.5.5
#     - CIS Docker Benchmark 5.5
#     - CIS Docker Benchmark 5.31
#     - "Pod Security Standards: Baseline (HostPath volumes)"
#   remediation: >-
#     Remove host.sourcePath from the volume (task storage), or use EFS; never
#     mount the Docker socket: use the ECS API or a dedicated agent for
#     what the container needs from Docker.
package ecs.rules.host_path_volumes

import data.ecs.lib

findings contains lib.finding(rego.metadata.chain(), container.name, message) if {
	some volume in lib.volumes
	path := volume.host.sourcePath
	path != ""
	some container in lib.containers
	some mount in container.mountPoints
	mount.sourceVolume == volume.name
	message := sprintf("container %q mounts host path %q (volume %q) at %q%s; %s", [
		container.name,
		path,
		volume.name,
		mount.containerPath,
		note(path),
		"allowed: volumes without host.sourcePath (task storage), EFS or Docker volumes",
	])
}

sockets := {
	"/var/run/docker.sock",
	"/run/docker.sock",
	"/run/containerd/containerd.sock",
	`\\.\pipe\docker_engine`,
}

note(path) := ", the container runtime's socket, which gives full control of the host" if {
	trim_right(path, "/") in sockets
} else := ""

#!/usr/bin/env bash
# Makes buildah and podman usable on a CI machine without a Docker engine:
# installs Debian's packages when missing and writes the configuration they
# need there (probed on the project's CI machines): vfs storage, runc with
# cgroupfs, and ulimits low enough for setrlimit to succeed in a container.
set -euo pipefail

if ! command -v buildah >/dev/null || ! command -v podman >/dev/null || ! command -v runc >/dev/null; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends buildah podman runc >/dev/null
fi

mkdir -p /etc/containers
cat >/etc/containers/storage.conf <<'CONF'
[storage]
driver = "vfs"
runroot = "/run/containers/storage"
graphroot = "/var/lib/containers/storage"
CONF
cat >/etc/containers/containers.conf <<'CONF'
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
CONF

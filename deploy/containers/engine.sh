#!/usr/bin/env bash
# A container engine for `make images` and the container tests, installed the way it works on a
# machine without Docker (see docs/operations.md): Podman and runc from Debian's packages, with
# the engine settings a sandboxed CI runner needs. Does nothing when docker or podman answers.
# `make test` runs it first: where it cannot install (not root, no apt) it says so and the
# container tests skip, saying why; `make k8s-smoke` then fails for want of an engine.
set -euo pipefail

if command -v podman >/dev/null && podman info >/dev/null 2>&1; then
    echo "engine: podman $(podman version --format '{{.Client.Version}}') answers"; exit 0
fi
if command -v docker >/dev/null && docker info >/dev/null 2>&1; then
    echo "engine: docker answers"; exit 0
fi
if [[ $(id -u) != 0 ]] || ! command -v apt-get >/dev/null; then
    echo "engine: no engine answers and none can be installed here (this script installs podman on Debian as root)" >&2
    exit 0
fi

apt-get update -qq
# crun, Debian's default runtime, fails in sandboxes that refuse its cgroup setup: runc works.
apt-get install -y -qq -o DPkg::Lock::Timeout=600 podman runc debootstrap >/dev/null
mkdir -p /etc/containers
if [[ ! -f /etc/containers/containers.conf ]]; then
    cat > /etc/containers/containers.conf <<'CONF'
[containers]
# Sandboxed runners refuse setrlimit(RLIMIT_NOFILE), which the default ulimits ask for.
default_ulimits = []

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
CONF
fi
podman info >/dev/null
echo "engine: podman $(podman version --format '{{.Client.Version}}') installed"

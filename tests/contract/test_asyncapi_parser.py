"""The committed AsyncAPI document validates with the AsyncAPI initiative's own parser
(``@asyncapi/parser`` from the npm registry, pinned in tests/contract/package.json and its lock
file; ``make contract-deps`` installs it, and this test does when it is missing)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
DOCUMENT = HERE.parents[1] / "docs" / "events" / "asyncapi.json"


def _parser_installed() -> bool:
    return (HERE / "node_modules" / "@asyncapi" / "parser" / "package.json").exists()


@pytest.fixture(scope="module")
def node() -> str:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("node and npm are not installed: the AsyncAPI parser (npm) cannot run here")
    if not _parser_installed():
        # From the committed lock file, as `make contract-deps` does.
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=HERE, check=True, timeout=600)
    return node


def test_the_asyncapi_document_validates_with_the_official_parser(node: str) -> None:
    run = subprocess.run([node, "validate.mjs", str(DOCUMENT)], cwd=HERE, capture_output=True, text=True, timeout=120)
    lines = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
    errors = [d for d in lines if d.get("severity") == 0]
    assert run.returncode == 0 and not errors, run.stdout + run.stderr
    summary = lines[-1]
    document = json.loads(DOCUMENT.read_text())
    assert summary == {
        "ok": True,
        "version": "3.0.0",
        "channels": len(document["channels"]),
        "messages": len(document["components"]["messages"]),
    }


def test_the_parser_rejects_a_broken_document(node: str, tmp_path: Path) -> None:
    # The check can fail: a message pointing at a payload that does not exist is an error.
    document = json.loads(DOCUMENT.read_text())
    first = next(iter(document["components"]["messages"].values()))
    first["payload"] = {"$ref": "#/components/schemas/NoSuchSchema"}
    broken = tmp_path / "asyncapi.json"
    broken.write_text(json.dumps(document))
    run = subprocess.run([node, "validate.mjs", str(broken)], cwd=HERE, capture_output=True, text=True, timeout=120)
    assert run.returncode == 1, run.stdout

"""The type checker sees across packages: a service's wrong call into libs/common fails it.

A check that cannot see another package reads its imports as ``Any`` and passes anything, which
is how ``make typecheck`` once passed ``x: int = place_call``. So this runs mypy, with the
project's own configuration, on a probe module written the way a service writes its calls into
libs/common and into another workspace package: with a deliberate type error it must fail on
exactly that line, and the same probe without the error must pass (so the failure is the type
error, not a missing import or a broken configuration).

mypy keeps its incremental cache in the repository's ``.mypy_cache`` (the one ``make typecheck``
fills), so a warm run takes a few seconds."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]

PROBE = """\
from common.envelope import deterministic_event_id
from calls.domain.guard import Reason


def event_id_for(call_id: str) -> str:
    return deterministic_event_id("probe", call_id)


def reason_of(code: str) -> Reason:
    return Reason(code)
"""

# The same module with one wrong call into libs/common (an int where it takes str) and the
# issue's own probe: a service's function assigned to an int.
BROKEN = PROBE.replace('deterministic_event_id("probe", call_id)', 'deterministic_event_id("probe", 42)') + (
    "\n\nx: int = reason_of\n"
)


def run_mypy(module: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--cache-dir",
            str(ROOT / ".mypy_cache"),
            "--no-error-summary",
            "--show-error-codes",
            str(module),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture
def probe_dir(tmp_path: Path) -> Path:
    return tmp_path


def test_a_correct_call_into_the_workspace_packages_passes(probe_dir: Path) -> None:
    module = probe_dir / "probe_service.py"
    module.write_text(PROBE)
    result = run_mypy(module)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_wrong_call_into_libs_common_fails_the_type_check(probe_dir: Path) -> None:
    module = probe_dir / "probe_service.py"
    module.write_text(BROKEN)
    result = run_mypy(module)
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    assert result.returncode == 1, result.stdout + result.stderr
    # Exactly the two deliberate errors: nothing about imports, which would mean the packages
    # were not found and the probe proved nothing.
    assert len(errors) == 2, result.stdout
    wrong_argument, wrong_assignment = errors
    assert '"deterministic_event_id" has incompatible type "int"; expected "str"' in wrong_argument
    assert wrong_argument.endswith("[arg-type]")
    wrong_line = next(i for i, line in enumerate(BROKEN.splitlines(), 1) if "42" in line)
    assert wrong_argument.startswith(f"{module}:{wrong_line}:")
    assert "Callable[[str], Reason]" in wrong_assignment and wrong_assignment.endswith("[assignment]")

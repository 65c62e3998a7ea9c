"""``make bench``: every ``benchmarks/<name>.py`` module's ``main()``, each in its own process (so
peak memory is its own), figures printed as JSON lines. ``make bench ONLY=name`` runs one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent


def main() -> int:
    only = os.environ.get("ONLY") or (sys.argv[1] if len(sys.argv) > 1 else "")
    modules = sorted(p.stem for p in HERE.glob("*.py") if not p.stem.startswith("_"))
    failed = []
    for name in modules:
        if only and only not in name:
            continue
        print(f"=== {name}", flush=True)
        code = subprocess.call(
            [
                sys.executable,
                "-c",
                f"import json, benchmarks.{name} as m; print(json.dumps(m.main(), ensure_ascii=False, default=str))",
            ],
            cwd=HERE.parent,
        )
        if code:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

"""``qa-check FILE|DIR ...``: print one JSON line of findings per call record."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from qa.rules.checker import check_call
from qa.rules.io import RecordError, expand_paths, load_record
from qa.rules.policy import PolicyError, load_policy


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="qa-check",
        description="Check call records (JSON, dataset format) against the QA rule catalogue.",
    )
    parser.add_argument("paths", nargs="+", metavar="FILE", help="call record JSON file, or a directory of them")
    parser.add_argument("--policy", type=Path, default=None, help="policy YAML (default: the packaged one)")
    parser.add_argument("--full", action="store_true", help="print every field of each finding")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(list(argv) if argv is not None else None)
    try:
        policy = load_policy(args.policy)
    except (OSError, PolicyError) as exc:
        print(f"qa-check: cannot load policy: {exc}", file=sys.stderr)
        return 2
    status = 0
    paths = expand_paths(args.paths)
    if not paths:
        print("qa-check: no call records found", file=sys.stderr)
        return 1
    for path in paths:
        try:
            call, _ = load_record(path)
        except RecordError as exc:
            print(f"qa-check: {exc}", file=sys.stderr)
            status = 1
            continue
        findings = check_call(call, policy)
        items = [f.model_dump(mode="json") if args.full else f.brief() for f in findings]
        print(json.dumps({"call_id": call.call_id, "findings": items}, ensure_ascii=False), flush=True)
    return status


if __name__ == "__main__":
    raise SystemExit(main())

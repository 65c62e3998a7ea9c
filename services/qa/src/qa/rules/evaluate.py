"""``qa-eval DIR ...``: precision / recall of the checker against labelled call records.

Comparison is per call per rule id: a rule flagged on a call vs the call's ``expected.violations``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qa.rules.checker import check_call, violated_rules
from qa.rules.io import RecordError, expand_paths, load_record
from qa.rules.policy import RULE_IDS, Policy, PolicyError, load_policy


@dataclass
class RuleCounts:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    support: int = 0  # calls where the rule is expected

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "support": self.support,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
        }


@dataclass
class CallResult:
    file: str
    call_id: str
    expected: list[str]
    predicted: list[str]

    @property
    def false_positives(self) -> list[str]:
        return sorted(set(self.predicted) - set(self.expected))

    @property
    def false_negatives(self) -> list[str]:
        return sorted(set(self.expected) - set(self.predicted))


@dataclass
class Evaluation:
    per_rule: dict[str, RuleCounts] = field(default_factory=lambda: {r: RuleCounts() for r in RULE_IDS})
    calls: list[CallResult] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def overall(self) -> RuleCounts:
        total = RuleCounts()
        for c in self.per_rule.values():
            total.tp += c.tp
            total.fp += c.fp
            total.fn += c.fn
            total.support += c.support
        return total

    def add(self, result: CallResult) -> None:
        self.calls.append(result)
        exp, pred = set(result.expected), set(result.predicted)
        for rule in exp | pred:
            counts = self.per_rule.setdefault(rule, RuleCounts())
            if rule in exp:
                counts.support += 1
                if rule in pred:
                    counts.tp += 1
                else:
                    counts.fn += 1
            else:
                counts.fp += 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "calls": len(self.calls),
            "per_rule": {r: c.as_dict() for r, c in self.per_rule.items()},
            "overall": self.overall.as_dict(),
            "mismatches": [
                {
                    "file": c.file,
                    "call_id": c.call_id,
                    "false_positives": c.false_positives,
                    "false_negatives": c.false_negatives,
                }
                for c in self.calls
                if c.false_positives or c.false_negatives
            ],
            "errors": self.errors,
        }


def evaluate(paths: Iterable[Path], policy: Policy) -> Evaluation:
    ev = Evaluation()
    for path in paths:
        try:
            call, raw = load_record(path)
        except RecordError as exc:
            ev.errors.append(str(exc))
            continue
        expected_obj = raw.get("expected")
        if not isinstance(expected_obj, dict) or not isinstance(expected_obj.get("violations"), list):
            ev.errors.append(f"{path}: no expected.violations list")
            continue
        expected = sorted(str(v) for v in expected_obj["violations"])
        predicted = violated_rules(check_call(call, policy))
        ev.add(CallResult(str(path), call.call_id, expected, predicted))
    return ev


def format_table(ev: Evaluation) -> str:
    lines = [f"{'rule':<8} {'support':>7} {'tp':>4} {'fp':>4} {'fn':>4} {'precision':>9} {'recall':>7}"]
    for rule, c in ev.per_rule.items():
        lines.append(f"{rule:<8} {c.support:>7} {c.tp:>4} {c.fp:>4} {c.fn:>4} {c.precision:>9.3f} {c.recall:>7.3f}")
    o = ev.overall
    lines.append(f"{'micro':<8} {o.support:>7} {o.tp:>4} {o.fp:>4} {o.fn:>4} {o.precision:>9.3f} {o.recall:>7.3f}")
    lines.append(f"calls: {len(ev.calls)}")
    for r in ev.calls:
        if r.false_positives or r.false_negatives:
            lines.append(f"  {r.file} ({r.call_id}): FP {r.false_positives} FN {r.false_negatives}")
    for err in ev.errors:
        lines.append(f"  error: {err}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="qa-eval", description=__doc__)
    parser.add_argument("paths", nargs="+", help="directories (or files) of labelled call records")
    parser.add_argument("--policy", type=Path, default=None, help="policy YAML (default: the packaged one)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument(
        "--fail-under",
        type=float,
        default=None,
        help="exit 1 if any rule's precision or recall (with support or predictions) is below this",
    )
    args = parser.parse_args(list(argv) if argv is not None else None)
    try:
        policy = load_policy(args.policy)
    except (OSError, PolicyError) as exc:
        print(f"qa-eval: cannot load policy: {exc}", file=sys.stderr)
        return 2
    paths = expand_paths(args.paths)
    if not paths:
        print("qa-eval: no call records found", file=sys.stderr)
        return 1
    ev = evaluate(paths, policy)
    print(json.dumps(ev.as_dict(), ensure_ascii=False, indent=2) if args.json else format_table(ev))
    status = 1 if ev.errors else 0
    if args.fail_under is not None:
        for c in ev.per_rule.values():
            if min(c.precision, c.recall) < args.fail_under:
                status = 1
    return status


if __name__ == "__main__":
    raise SystemExit(main())

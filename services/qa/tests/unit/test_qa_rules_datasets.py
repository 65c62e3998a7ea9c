"""The checker over the labelled sets: shared qa-dev and the project's own qa-extra."""

from __future__ import annotations

from pathlib import Path

import pytest
from qa.rules import Policy
from qa.rules.evaluate import evaluate
from qa.rules.io import expand_paths

REPO = Path(__file__).resolve().parents[4]  # .../main (services/qa/tests/unit -> repo root)
QA_DEV = REPO.parent / "shared/datasets/qa-dev"
QA_EXTRA = Path(__file__).resolve().parents[1] / "data/qa-extra"
MIN_SCORE = 0.9


def _check(directory: Path, policy: Policy) -> None:
    ev = evaluate(expand_paths([str(directory)]), policy)
    assert not ev.errors, ev.errors
    assert ev.calls, f"no labelled calls in {directory}"
    weak = {
        rule: (round(c.precision, 3), round(c.recall, 3))
        for rule, c in ev.per_rule.items()
        if min(c.precision, c.recall) < MIN_SCORE
    }
    mismatches = [
        (c.call_id, c.false_positives, c.false_negatives) for c in ev.calls if c.false_positives or c.false_negatives
    ]
    assert not weak, f"rules below {MIN_SCORE}: {weak}; mismatches: {mismatches}"


def test_qa_dev(policy: Policy) -> None:
    if not QA_DEV.is_dir():
        pytest.skip(f"shared labelled set not present at {QA_DEV} (it lives outside the repository)")
    _check(QA_DEV, policy)


def test_qa_extra(policy: Policy) -> None:
    assert QA_EXTRA.is_dir()
    assert len(list(QA_EXTRA.glob("*.json"))) >= 20
    _check(QA_EXTRA, policy)


def test_every_rule_has_support_in_extra(policy: Policy) -> None:
    ev = evaluate(expand_paths([str(QA_EXTRA)]), policy)
    missing = [rule for rule, c in ev.per_rule.items() if c.support == 0]
    assert not missing, f"qa-extra has no positive example for {missing}"

"""QA rule evaluation as a pure function: transcripts checked per second on one core.

Two transcripts are built from the turns of the labelled qa-dev records (real wording, every
rule's phrases in play): 20 turns and 200 turns, each with a hold. ``check_call`` runs over each
for a fixed wall-clock budget in this single process (one core); the figures are checks per
second, the time per check, and the ratio of the 200-turn time to the 20-turn time (10 means
exactly linear in length). The precision and recall of the checker on qa-dev and on the extra
labelled records (qa-dev, qa-extra, and the held-out and structural sets when present) are
reported alongside (same code as ``qa-eval``).

The 20-turn figure is also given on the service's path, where the record has only the keyed
digest of the customer's name (``checks_per_s_20_turns_name_digest``).

Goal: at least 2,000 checks/s for 20 turns, time linear in length.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATASETS = [ROOT.parent / "shared" / "datasets" / "qa-dev", ROOT / "services" / "qa" / "tests" / "data" / "qa-extra"]
# Labelled sets scored alongside (not used to build the transcripts, so the speed figures stay
# comparable across policy versions): the held-out and structural sets of issue 17.
QUALITY_SETS = [
    *DATASETS,
    *(ROOT / "services" / "qa" / "tests" / "data" / name for name in ("qa-holdout", "qa-structural", "qa-unseen-1")),
]
BUDGET_S = 2.0


def _turn_pool() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    files = sorted(p for d in DATASETS if d.is_dir() for p in d.glob("*.json"))
    if not files:
        raise SystemExit("no qa datasets found")
    template: dict[str, Any] = json.loads(files[0].read_text(encoding="utf-8"))
    pool: list[dict[str, Any]] = []
    for f in files:
        record = json.loads(f.read_text(encoding="utf-8"))
        pool.extend(t for t in record.get("turns", []) if "text" in t)
    return template, pool


def _transcript(template: dict[str, Any], pool: list[dict[str, Any]], n: int) -> dict[str, Any]:
    turns: list[dict[str, Any]] = []
    t = 0.0
    for i in range(n - 1):
        src = pool[i % len(pool)]
        d = max(1.0, src["end_s"] - src["start_s"])
        turns.append(
            {"speaker": "agent" if i % 2 == 0 else "customer", "start_s": t, "end_s": t + d, "text": src["text"]}
        )
        t += d + 0.3
        if i == n // 2:
            turns.append({"hold": True, "start_s": t, "end_s": t + 30.0})
            t += 30.3
    record = {k: v for k, v in template.items() if k != "expected"}
    record.update(turns=turns, call_id=f"bench-{n}", disposition="success")
    return record


def _rate(call: Any, policy: Any, pii_key: str | None = None) -> tuple[float, int]:
    from qa.rules import check_call

    check_call(call, policy, pii_key=pii_key)  # warm caches (compiled policy, regexes)
    n = 0
    start = time.perf_counter()
    deadline = start + BUDGET_S
    while True:
        for _ in range(50):
            check_call(call, policy, pii_key=pii_key)
        n += 50
        now = time.perf_counter()
        if now >= deadline:
            return n / (now - start), n


def _quality(policy: Any) -> dict[str, Any]:
    from qa.rules.evaluate import evaluate
    from qa.rules.io import expand_paths

    out: dict[str, Any] = {}
    for d in QUALITY_SETS:
        if not d.is_dir():
            continue
        ev = evaluate(expand_paths([str(d)]), policy)
        scored = [c for c in ev.per_rule.values() if c.support or c.fp]
        out[d.name] = {
            "calls": len(ev.calls),
            "overall": {k: v for k, v in ev.overall.as_dict().items() if k in ("precision", "recall")},
            "min_rule_precision": round(min(c.precision for c in scored), 4) if scored else None,
            "min_rule_recall": round(min(c.recall for c in scored), 4) if scored else None,
            "per_rule": {r: [round(c.precision, 3), round(c.recall, 3)] for r, c in ev.per_rule.items()},
        }
    return out


def main() -> dict[str, object]:
    from qa.rules import CallRecord, load_policy

    policy = load_policy()
    template, pool = _turn_pool()
    call20 = CallRecord.model_validate(_transcript(template, pool, 20))
    call200 = CallRecord.model_validate(_transcript(template, pool, 200))
    rate20, n20 = _rate(call20, policy)
    rate200, n200 = _rate(call200, policy)
    # The service's path: no name, only its keyed digest (QA-01 digests candidate substrings).
    from common.privacy import name_digest

    key = "bench-pii-key"
    record = _transcript(template, pool, 20)
    record["lead"] = {**record["lead"], "name": None, "name_digest": name_digest(key, record["lead"].get("name"))}
    rate20d, n20d = _rate(CallRecord.model_validate(record), policy, key)
    figures: dict[str, object] = {
        "benchmark": "qa_rules",
        "checks_per_s_20_turns": round(rate20),
        "checks_per_s_200_turns": round(rate200),
        "ms_per_check_20_turns": round(1000 / rate20, 3),
        "ms_per_check_200_turns": round(1000 / rate200, 3),
        "time_ratio_200_vs_20": round(rate20 / rate200, 2),
        "checks_per_s_20_turns_name_digest": round(rate20d),
        "goal_20_turns_per_s": 2000,
        "goal_met": rate20 >= 2000,
        "checks_run": n20 + n200 + n20d,
        "quality": _quality(policy),
    }
    print(json.dumps(figures, ensure_ascii=False, indent=2))
    return figures


if __name__ == "__main__":
    main()

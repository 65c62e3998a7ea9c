"""The comparison the chaos scenarios rest on reports every differing row, and only those."""

from __future__ import annotations

import pytest

from tests.chaos.harness import TableDump, diff_tables


def facts(*rows: tuple[str, int]) -> TableDump:
    return TableDump(key=("call_id",), rows=[{"call_id": c, "violations_found": n} for c, n in rows])


def test_equal_dumps_differ_in_nothing() -> None:
    dump = {"call_facts": facts(("c1", 1), ("c2", 0))}
    assert diff_tables("reporting", dump, dump, have_name="live", want_name="rebuild") == []


def test_each_differing_row_is_named_with_its_columns(capsys: pytest.CaptureFixture[str]) -> None:
    live = {"call_facts": facts(("c1", 2), ("c2", 0), ("c4", 1))}
    rebuilt = {"call_facts": facts(("c1", 1), ("c2", 0), ("c3", 1))}
    problems = diff_tables("reporting", live, rebuilt, have_name="live", want_name="rebuild")
    assert problems == ["reporting.call_facts: 3 rows differ (live vs rebuild)"]
    out = capsys.readouterr().out
    assert "{'call_id': 'c1'}: violations_found live=2 rebuild=1" in out
    assert "{'call_id': 'c3'}: only in rebuild" in out
    assert "{'call_id': 'c4'}: only in live" in out
    assert "'c2'" not in out


def test_rows_without_a_compared_key_are_compared_as_a_multiset(capsys: pytest.CaptureFixture[str]) -> None:
    # lead_tier_history: its surrogate id is not compared, so a row held twice must still show.
    row = {"lead_id": "l1", "tier": "intent"}
    live = {"lead_tier_history": TableDump(key=(), rows=[row, dict(row)])}
    rebuilt = {"lead_tier_history": TableDump(key=(), rows=[dict(row)])}
    problems = diff_tables("leads", live, rebuilt, have_name="live", want_name="rebuild")
    assert problems == ["leads.lead_tier_history: 1 rows differ (live vs rebuild)"]
    assert "1x only in live: {'lead_id': 'l1', 'tier': 'intent'}" in capsys.readouterr().out


def test_a_table_only_one_side_has_is_a_difference() -> None:
    problems = diff_tables("qa", {"violation": facts(("c1", 1))}, {}, have_name="live", want_name="rebuild")
    assert problems == ["qa.violation: 1 rows differ (live vs rebuild)"]

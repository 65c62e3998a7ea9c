"""qa-check and qa-eval command lines."""

from __future__ import annotations

import json
import shutil
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from qa.rules import cli, evaluate
from qa.rules.policy import DEFAULT_POLICY_RESOURCE

QA_EXTRA = Path(__file__).resolve().parents[1] / "data/qa-extra"


def _lines(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def test_check_file_output_shape(capsys: pytest.CaptureFixture[str]) -> None:
    rc = cli.main([str(QA_EXTRA / "x-004.json")])
    assert rc == 0
    (obj,) = _lines(capsys.readouterr().out)
    assert obj["call_id"] == "c-x004"
    findings = obj["findings"]
    assert isinstance(findings, list) and findings
    for f in findings:
        assert set(f) == {"rule", "turn", "evidence"}
    rules = {f["rule"] for f in findings}
    assert rules == {"QA-01", "QA-13"}
    qa13 = next(f for f in findings if f["rule"] == "QA-13")
    assert qa13["turn"] is None


def test_check_directory_sorted_and_unicode(capsys: pytest.CaptureFixture[str]) -> None:
    rc = cli.main([str(QA_EXTRA)])
    assert rc == 0
    out = capsys.readouterr().out
    objs = _lines(out)
    assert len(objs) == len(list(QA_EXTRA.glob("*.json")))
    ids = [o["call_id"] for o in objs]
    assert ids == sorted(ids)
    assert "\\u" not in out  # ensure_ascii=False


def test_bad_file_reported_others_processed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "a-bad.json"
    bad.write_text("{not json", encoding="utf-8")
    wrong = tmp_path / "b-wrong.json"
    wrong.write_text(json.dumps({"call_id": "x"}), encoding="utf-8")
    good = tmp_path / "c-good.json"
    shutil.copy(QA_EXTRA / "x-001.json", good)
    rc = cli.main([str(tmp_path), str(tmp_path / "missing.json")])
    captured = capsys.readouterr()
    assert rc != 0
    assert [o["call_id"] for o in _lines(captured.out)] == ["c-x001"]
    assert "a-bad.json" in captured.err and "not valid JSON" in captured.err
    assert "b-wrong.json" in captured.err and "not a call record" in captured.err
    assert "missing.json" in captured.err


def test_custom_policy_disables_rule(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:

    text = resources.files(DEFAULT_POLICY_RESOURCE[0]).joinpath(DEFAULT_POLICY_RESOURCE[1]).read_text("utf-8")
    text = text.replace(
        "  QA-13:\n    title: 在客户休息时间外呼\n    severity: violation\n    fine_agent: 0\n"
        "    fine_supervisor: 0\n    penalty: 违规\n    enabled: true",
        "  QA-13:\n    title: 在客户休息时间外呼\n    severity: violation\n    fine_agent: 0\n"
        "    fine_supervisor: 0\n    penalty: 违规\n    enabled: false",
    )
    assert "enabled: false" in text
    pol = tmp_path / "p.yaml"
    pol.write_text(text, encoding="utf-8")
    assert cli.main(["--policy", str(pol), str(QA_EXTRA / "x-004.json")]) == 0
    (obj,) = _lines(capsys.readouterr().out)
    assert {f["rule"] for f in obj["findings"]} == {"QA-01"}


def test_bad_policy_exit_code(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pol = tmp_path / "p.yaml"
    pol.write_text("version: 1\nrules: {QA-99: {title: x, severity: y}}\n", encoding="utf-8")
    assert cli.main(["--policy", str(pol), str(QA_EXTRA / "x-001.json")]) == 2
    assert "QA-99" in capsys.readouterr().err


def test_eval_json(capsys: pytest.CaptureFixture[str]) -> None:
    rc = evaluate.main([str(QA_EXTRA), "--json"])
    data = json.loads(capsys.readouterr().out)
    assert rc == 0
    assert data["calls"] == len(list(QA_EXTRA.glob("*.json")))
    assert set(data["per_rule"]) >= {"QA-01", "QA-03a", "QA-03b", "QA-15"}
    for counts in data["per_rule"].values():
        assert {"tp", "fp", "fn", "support", "precision", "recall"} <= set(counts)
    assert 0.0 <= data["overall"]["precision"] <= 1.0


def test_eval_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert evaluate.main([str(QA_EXTRA), "--fail-under", "0.9"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["rule", "support", "tp", "fp", "fn", "precision", "recall"]
    assert any(line.startswith("micro") for line in out.splitlines())

"""Policy loading, versioning and the helpers it relies on."""

from __future__ import annotations

from pathlib import Path

import pytest
from qa.rules import RULE_IDS, PolicyError, load_policy, parse_policy
from qa.rules.textutil import normalize, parse_number


def test_default_policy_has_every_rule() -> None:
    pol = load_policy()
    assert pol.version == "2026.12.06"
    assert set(pol.rules) == set(RULE_IDS)
    assert pol.rules["QA-06"].fine_agent == 500 and pol.rules["QA-06"].fine_supervisor == 200
    assert pol.rules["QA-05"].fine_agent == 200 and pol.rules["QA-05"].fine_supervisor == 100
    assert pol.rules["QA-15"].params["max_hold_s"] == 60
    assert pol.rules["QA-12"].params["elderly_age"] == 70
    assert pol.rules["QA-13"].params["windows"] == [["09:00", "12:00"], ["13:00", "18:00"]]
    assert load_policy() is pol  # the packaged default is cached


def test_compiled_is_cached() -> None:
    pol = load_policy()
    assert pol.compiled() is pol.compiled()


def test_load_from_path(tmp_path: Path) -> None:
    p = tmp_path / "policy.yaml"
    p.write_text(
        "version: test-1\nrules:\n  QA-13:\n    title: t\n    severity: s\n"
        "    params: {windows: [['08:00', '20:00']]}\n",
        encoding="utf-8",
    )
    pol = load_policy(p)
    assert pol.version == "test-1" and list(pol.rules) == ["QA-13"]


@pytest.mark.parametrize(
    "text",
    [
        "version: 1\nrules: {QA-77: {title: x, severity: y}}\n",
        "version: 1\nrules: {QA-01: {title: x, severity: y, patterns: {p: ['(']}}}\n",
        "- not a mapping\n",
        "version: 1\nrules: {QA-01: {title: x, severity: y, bogus: 1}}\n",
    ],
)
def test_bad_policies_rejected(text: str) -> None:
    with pytest.raises(PolicyError):
        parse_policy(text)


def test_campaign_filter() -> None:
    pol = parse_policy("version: 1\nrules: {QA-13: {title: x, severity: y, campaigns: [c-1]}}\n")
    spec = pol.rules["QA-13"]
    assert spec.applies_to("c-1") and not spec.applies_to("c-2")


@pytest.mark.parametrize(
    ("token", "value"),
    [
        ("七十四", 74),
        ("十六", 16),
        ("一万八千五", 18500),
        ("一万八", 18000),
        ("三千六", 3600),
        ("一千九百九十九", 1999),
        ("3.5万", 35000),
        ("五十一点六", 51.6),
        ("两百", 200),
        ("199", 199),
    ],
)
def test_parse_number(token: str, value: float) -> None:
    assert parse_number(token) == pytest.approx(value)


def test_normalize_keeps_length() -> None:
    s = "您好\uff0c请问是王先生吗\uff1f好\uff01"
    assert len(normalize(s)) == len(s) and normalize(s) == "您好,请问是王先生吗?好!"

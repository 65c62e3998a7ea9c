"""The bare-full-name check from the keyed digest (what the service has) agrees with the check
from the name (what dataset files have)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from common.events.calls import AgentRef, CallEnded, CampaignRef, CustomerRef, SpeechTurn
from common.privacy import name_digest
from qa.domain.adapter import record_from_call_ended, sale_recorded
from qa.rules import check_call, load_policy
from qa.rules.names import DigestName, PlainName, name_matcher

KEY = "test-key"


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("张伟", "张伟,您周末要是加班的话", [(0, 2)]),
        ("张伟", "请问是张伟先生吗", [(3, 5)]),  # found; the detector decides 先生 makes it polite
        ("欧阳娜娜", "欧阳娜娜,您好", [(0, 4)]),
        ("王建国", "王建,您好", []),
        ("李娜", "abc李娜x李娜", [(3, 5), (6, 8)]),
        ("李娜", "", []),
    ],
)
def test_digest_matcher_finds_what_the_plain_one_finds(name: str, text: str, expected: list[tuple[int, int]]) -> None:
    assert list(PlainName(name).occurrences(text)) == expected
    digest = name_digest(KEY, name)
    assert digest is not None
    assert list(DigestName(KEY, digest).occurrences(text)) == expected
    assert list(DigestName("another-key", digest).occurrences(text)) == []


def test_name_matcher_prefers_the_name() -> None:
    assert isinstance(name_matcher("张伟", "x", KEY), PlainName)
    assert isinstance(name_matcher(None, "x", KEY), DigestName)
    assert name_matcher(None, "x", None) is None
    assert name_matcher("张", None, KEY) is None


def _ended(texts: list[tuple[str, str]], name: str | None, **kw: object) -> CallEnded:
    turns = [SpeechTurn(speaker=s, start_s=i * 3.0, end_s=i * 3.0 + 2, text=t) for i, (s, t) in enumerate(texts)]
    values: dict[str, object] = {
        "call_id": "c-n1",
        "campaign": CampaignRef(
            id="cm-1",
            brand="中国移动",
            authorized_brands=["中国移动"],
            allowed_caller_carriers=["China Mobile"],
            price_on_phone=True,
        ),
        "agent": AgentRef(id="a-1", team="t-1", supervisor="s-1"),
        "customer": CustomerRef(
            lead_id="l-1", phone_masked="138****8000", name_digest=name_digest(KEY, name), birth_year=1985
        ),
        "caller_number": "+8613900139000",
        "placed_at": datetime(2026, 11, 20, 2, 3, tzinfo=UTC),
        "answered_at": datetime(2026, 11, 20, 2, 3, 12, tzinfo=UTC),
        "ended_at": datetime(2026, 11, 20, 2, 6, 40, tzinfo=UTC),
        "hangup_by": "customer",
        "disposition": "appointment",
        "turns": turns,
    }
    values.update(kw)
    return CallEnded.model_validate(values)


TURNS = [
    ("agent", "您好,请问是张伟先生吗?我是中国移动的客户经理小葛,今天来电是想邀请您参加业主开放日。"),
    ("customer", "是我。"),
    ("agent", "张伟,您周末要是加班的话,周日下午也可以。"),
    ("customer", "那周日下午吧。"),
    ("agent", "好的,祝您工作顺利,请您先挂机。"),
    ("customer", "好。"),
]


def test_call_ended_is_checked_from_the_digest() -> None:
    event = _ended(TURNS, "张伟")
    record = record_from_call_ended(event)
    assert record.lead.name is None and record.lead.name_digest == name_digest(KEY, "张伟")
    findings = check_call(record, load_policy(), pii_key=KEY)
    assert [(f.rule, f.turn, f.evidence) for f in findings] == [("QA-01", 2, "张伟")]
    assert check_call(record, load_policy(), pii_key="wrong-key") == []
    assert check_call(record, load_policy()) == []  # no key: the name cannot be recognised


def test_sale_recorded_from_flags_or_disposition() -> None:
    assert sale_recorded(_ended(TURNS, "张伟", disposition="success"))
    assert not sale_recorded(_ended(TURNS, "张伟", disposition="success", disposition_flags=["human_answered"]))
    assert sale_recorded(_ended(TURNS, "张伟", disposition="activated", disposition_flags=["sale"]))
    assert not sale_recorded(_ended(TURNS, "张伟"))

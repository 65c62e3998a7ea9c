"""Helpers for the QA service tests and benchmarks: calls events as the calls service publishes
them, and the QA stream read back."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from common.envelope import Envelope
from common.events.calls import AgentRef, CallEnded, CampaignRef, CustomerRef, HoldPeriod, SpeechTurn
from common.eventstore import EventNames
from common.outbox import pending_count
from common.personal_data import LeadKeys
from common.privacy import name_digest
from common.projection import checkpoint_table
from common.settings import ServiceSettings
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

PII_KEY = "test-pii-key"

# Building blocks of the rule case tables (tests/unit/test_qa_rules_round6.py and later rounds): a
# standard call around the turns under test, as ("a" | "c", text) pairs for the unit tests' make_call.
# (The test modules cannot import one another under --import-mode=importlib, and the tables are built
# at import time, so a fixture cannot carry them: they live here.)
CaseTurn = tuple[str, Any]
CASE_OPEN: CaseTurn = ("a", "您好,我是中国移动的客户经理小李,请问是王先生吗?")
CASE_YES: CaseTurn = ("c", "是我。")
CASE_PURPOSE: CaseTurn = ("a", "王先生您好,今天来电是想跟您介绍一下宽带升级的活动。")
CASE_CLOSE: CaseTurn = ("a", "好的,感谢您的接听,祝您生活愉快,请您先挂机。")
CASE_BYE: CaseTurn = ("c", "好,再见。")
CASE_NO_PRICE: dict[str, Any] = {"campaign": {"price_on_phone": False}}
CASE_SOLD: dict[str, Any] = {"disposition": "success"}


def case_call(*middle: CaseTurn) -> list[CaseTurn]:
    """A standard call (introduction, purpose, blessing) with ``middle`` in between."""
    return [CASE_OPEN, CASE_YES, CASE_PURPOSE, *middle, CASE_CLOSE, CASE_BYE]


def case_opening(first: str, *rest: CaseTurn) -> list[CaseTurn]:
    """A call that opens with the agent's ``first`` words (the introduction under test)."""
    return [("a", first), ("c", "嗯,你说。"), *rest, CASE_CLOSE, CASE_BYE]


# x-027-like: the agent calls the customer by bare full name at turn 4.
BARE_NAME = [
    ("agent", "您好,请问是张伟先生吗?我是云澜府营销中心的置业顾问小葛。"),
    ("customer", "是我。"),
    ("agent", "张伟先生您好,今天来电是想邀请您周末来参加我们的业主开放日。"),
    ("customer", "我周末可能要加班。"),
    ("agent", "张伟,您周末要是加班的话,周日下午也可以,我们开放到六点。"),
    ("customer", "那周日下午吧。"),
    ("agent", "好的,那就周日下午两点,我在售楼处门口等您。祝您工作顺利,请您先挂机。"),
    ("customer", "好。"),
]
# x-007-like: a sale recorded on 哦……随便吧 (QA-11).
AMBIGUOUS_SALE = [
    ("agent", "您好,我是中国移动的客户经理小潘,请问是杨女士吗?"),
    ("customer", "是我。"),
    ("agent", "杨女士您好,今天来电是想给您推荐一个电视影视会员,开通后家里电视能看最新的电影和综艺。"),
    ("customer", "我家电视平时也不怎么看。"),
    ("agent", "这个会员首月免费体验,不喜欢随时可以在营业厅或者App上退订。那我先帮您把会员开了,行吗?"),
    ("customer", "哦……随便吧。"),
    ("agent", "好的,已经帮您开通了,稍后会有短信提醒。感谢您的接听,祝您生活愉快,请您先挂机。"),
    ("customer", "嗯。"),
]
CLEAN = [
    ("agent", "您好,我是中国移动的客户经理小李,今天来电是想给您介绍一下宽带提速的活动,请问是王先生吗?"),
    ("customer", "是的,你说吧。"),
    ("agent", "好的,王先生,您家现在的宽带是一百兆的,这次可以免费体验提速一个月。"),
    ("customer", "我考虑一下吧。"),
    ("agent", "好的,那我下周再联系您。祝您生活愉快,请您先挂机。"),
    ("customer", "好的,再见。"),
]


def turns(spec: list[tuple[str, str]], hold: float | None = None) -> list[SpeechTurn | HoldPeriod]:
    out: list[SpeechTurn | HoldPeriod] = []
    t = 0.5
    for speaker, text in spec:
        d = max(1.0, len(text) * 0.2)
        out.append(SpeechTurn(speaker=speaker, start_s=t, end_s=t + d, text=text))
        t += d + 0.5
        if hold is not None and len(out) == 3:
            out.append(HoldPeriod(hold=True, start_s=t, end_s=t + hold))
            t += hold + 0.5
    return out


def call_ended(
    call_id: str,
    spec: list[tuple[str, str]] | None = None,
    *,
    name: str = "张伟",
    disposition: str = "appointment",
    flags: list[str] | None = None,
    placed_at: datetime = datetime(2026, 11, 20, 2, 3, tzinfo=UTC),  # 10:03 in Shanghai
    agent: str = "a-1",
    answered: bool = True,
) -> CallEnded:
    return CallEnded(
        call_id=call_id,
        campaign=CampaignRef(
            id="cm-1",
            brand="中国移动",
            authorized_brands=["中国移动", "云澜府"],
            allowed_caller_carriers=["China Mobile"],
            price_on_phone=True,
        ),
        agent=AgentRef(id=agent, team="t-1", supervisor="s-1"),
        customer=CustomerRef(
            lead_id=f"l-{call_id}", phone_masked="138****8000", name_digest=name_digest(PII_KEY, name), birth_year=1985
        ),
        caller_number="+8613900139000",
        placed_at=placed_at,
        answered_at=placed_at.replace(second=12) if answered else None,
        ended_at=placed_at.replace(minute=placed_at.minute + 3),
        hangup_by="customer",
        eligibility="eligible",
        disposition=disposition,
        disposition_flags=flags,
        talk_seconds=200.0,
        turns=turns(spec or []),
    )


async def qa_events(js: JetStreamContext, names: EventNames, *types: str) -> list[tuple[str, dict[str, Any]]]:
    """Every event on the QA stream (type, data), in order; only ``types`` when given. The
    personal values (evidence quotes, reasons) are opened as a service with the key grant reads
    them, with the settings' master key (common.personal_data)."""
    keys = await LeadKeys.open(js, names, ServiceSettings().pii_master_key)
    stream = names.stream("qa")
    info = await js.stream_info(stream)
    if not info.state.messages:
        return []
    psub = await js.pull_subscribe(
        names.stream_subjects("qa"),
        stream=stream,
        config=ConsumerConfig(
            ack_policy=AckPolicy.NONE, deliver_policy=DeliverPolicy.ALL, mem_storage=True, inactive_threshold=10.0
        ),
    )
    out: list[tuple[str, dict[str, Any]]] = []
    try:
        pending = (await psub.consumer_info()).num_pending or 0
        while pending > 0:
            msgs = await psub.fetch(min(pending, 256), timeout=5)
            for msg in msgs:
                env = await keys.unseal_envelope(Envelope.from_message(msg.headers, msg.data))
                out.append((env.type, env.data))
                pending = msg.metadata.num_pending
    finally:
        await psub.unsubscribe()
    return [(t, d) for t, d in out if not types or t in types]


async def settled(js: JetStreamContext, names: EventNames, sessions: async_sessionmaker[AsyncSession]) -> bool:
    """The projection has applied everything on the calls stream and the outbox is empty."""
    last = (await js.stream_info(names.stream("calls"))).state.last_seq
    async with sessions() as session:
        seq = (
            await session.execute(
                select(func.max(checkpoint_table.c.last_seq)).where(checkpoint_table.c.projection.like("qa-checks@%"))
            )
        ).scalar() or 0
        pending = await pending_count(session)
    return seq >= last and pending == 0

"""The QA projection and reactor: every call checked on ``CallEnded`` and re-checked on
``CallTranscribed``; findings, review-queue entries and the events announcing them written in
the runner's transaction (events through the outbox, see ``common.outbox``).

A finding's id is derived from the call, the rule, the turn and the policy version, and is its
primary key here: a redelivered or replayed event, or a re-check that finds the same thing again,
inserts nothing and publishes nothing. Only new findings (say, the transcript arrived after the
call ended) produce new ``ViolationFound`` events.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any, ClassVar

from common.db import insert
from common.events.base import DomainEvent
from common.events.calls import CallEnded, CallTranscribed, SpeechTurn, TranscriptTurn
from common.events.leads import LeadPersonalDataErased
from common.events.qa import ReviewSampled, ViolationFound
from common.outbox import caused_by, enqueue, scrub_lead
from common.personal_data import ERASED, erased_copy
from common.projection import EventByEvent, EventContext
from pydantic import TypeAdapter
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from qa.domain.adapter import call_day, local_time, record_from_call_ended, sale_recorded, turns_data
from qa.domain.ids import event_id, violation_id
from qa.domain.sampling import decide_sample, elapsed_fraction, period_of, phase, share_for
from qa.rules.checker import check_call
from qa.rules.model import Finding
from qa.rules.policy import Policy
from qa.tables import complaint, qa_agent, qa_call, review_item, sample_counter, violation

_TURNS = TypeAdapter(list[TranscriptTurn])


async def _enqueue(session: AsyncSession, event: DomainEvent, eid: str, ctx: EventContext | None) -> None:
    """Caused by the consumed event (its correlation id and trace go on); without one, by the
    current request (a reviewer's, a complaint)."""
    if ctx is None:
        await enqueue(session, event, event_id=eid)
        return
    with caused_by(ctx.envelope):
        await enqueue(session, event, event_id=eid)


async def agent_started_on(session: AsyncSession, agent_id: str, fallback: dict[str, date]) -> date | None:
    value = (
        await session.execute(select(qa_agent.c.started_on).where(qa_agent.c.agent_id == agent_id))
    ).scalar_one_or_none()
    return value if value is not None else fallback.get(agent_id)


async def ensure_review(
    session: AsyncSession,
    *,
    call_id: str,
    agent_id: str,
    team_id: str | None,
    day: date | None,
    period: str | None,
    reason: str,
    ctx: EventContext | None = None,
) -> bool:
    """Put the call in the review queue for ``reason`` (again pending if it had been reviewed);
    announces it with ``ReviewSampled`` once per call and reason. True when the reason is new."""
    now = datetime.now(UTC)
    row = (
        await session.execute(
            select(review_item.c.reasons, review_item.c.status).where(review_item.c.call_id == call_id)
        )
    ).first()
    if row is None:
        await session.execute(
            insert(session, review_item)
            .values(
                call_id=call_id,
                agent_id=agent_id,
                team_id=team_id,
                day=day,
                period=period,
                reasons=[reason],
                status="pending",
                sampled_at=now,
            )
            .on_conflict_do_nothing(index_elements=["call_id"])
        )
    else:
        reasons = list(row.reasons or [])
        if reason in reasons:
            return False
        await session.execute(
            update(review_item)
            .where(review_item.c.call_id == call_id)
            .values(reasons=[*reasons, reason], status="pending", completed_at=None)
        )
    await _enqueue(
        session,
        ReviewSampled(
            call_id=call_id, agent_id=agent_id, team_id=team_id, reasons=[reason], period=period, sampled_at=now
        ),
        event_id("ReviewSampled", call_id, reason),
        ctx,
    )
    return True


def _erased(event: CallEnded, turns: Sequence[TranscriptTurn]) -> bool:
    said = any(isinstance(t, SpeechTurn) and t.text == ERASED for t in turns)
    return said or ERASED in (event.customer.name_digest, event.customer.phone_masked)


class QaChecks(EventByEvent):
    name = "qa-checks"
    subscriptions: ClassVar[dict[str, Sequence[str]]] = {
        "calls": ["CallEnded", "CallTranscribed"],
        # Erasure of a lead's personal data: its transcripts and the findings' quotes go.
        "leads": ["LeadPersonalDataErased"],
    }

    def __init__(
        self,
        policy: Policy,
        pii_key: str,
        *,
        agent_starts: dict[str, date] | None = None,
    ) -> None:
        self.policy = policy
        self.pii_key = pii_key
        self.agent_starts = agent_starts or {}

    async def apply(self, session: AsyncSession, event: DomainEvent, ctx: EventContext) -> None:
        if isinstance(event, CallEnded):
            await self._ended(session, event, ctx)
        elif isinstance(event, CallTranscribed):
            await self._transcribed(session, event, ctx)
        elif isinstance(event, LeadPersonalDataErased):
            await self._erase(session, event.lead_id)

    async def _erase(self, session: AsyncSession, lead_id: str) -> None:
        """The transcripts QA keeps, the call data beside them, the quotes and reasons of the
        findings (they may repeat what was said) and the complaints' descriptions of the lead's
        calls become "[erased]", as a rebuild now reads them. Findings, rules, fines, reviews and
        every id stay as they are."""
        calls = (
            await session.execute(
                select(qa_call.c.call_id, qa_call.c.ended, qa_call.c.turns).where(qa_call.c.lead_id == lead_id)
            )
        ).all()
        for call_id, ended, turns in calls:
            await session.execute(
                update(qa_call)
                .where(qa_call.c.call_id == call_id)
                .values(
                    ended=erased_copy("CallEnded", ended) if isinstance(ended, dict) else ended,
                    turns=[
                        {**t, "text": ERASED} if isinstance(t, dict) and t.get("text") is not None else t
                        for t in turns or []
                    ]
                    if turns is not None
                    else None,
                )
            )
            await session.execute(
                update(complaint)
                .where(complaint.c.call_id == call_id, complaint.c.description.is_not(None))
                .values(description=ERASED)
            )
        await session.execute(
            update(violation)
            .where(violation.c.lead_id == lead_id, violation.c.evidence.is_not(None))
            .values(evidence=ERASED)
        )
        await session.execute(
            update(violation)
            .where(violation.c.lead_id == lead_id, violation.c.reason.is_not(None))
            .values(reason=ERASED)
        )
        await scrub_lead(session, lead_id)

    async def reset(self, session: AsyncSession) -> None:
        """Nothing is emptied: the QA tables hold the reviewers' decisions, which no calls event
        can rebuild. A rebuild re-checks every call; findings already known insert nothing, so it
        only adds what a changed policy (a new version) finds, and calls already seen are not
        drawn for sampling again."""

    # -- CallEnded ------------------------------------------------------------------------
    async def _ended(self, session: AsyncSession, event: CallEnded, ctx: EventContext) -> None:
        row = (await session.execute(select(qa_call).where(qa_call.c.call_id == event.call_id))).mappings().first()
        turns: list[TranscriptTurn] = list(event.turns)
        if not turns and row is not None and row["turns"]:
            turns = _TURNS.validate_python(row["turns"])  # the transcript came first
        first_time = row is None or row["ended"] is None
        day = call_day(event.placed_at, self.policy.timezone)
        values: dict[str, Any] = {
            "agent_id": event.agent.id,
            "team_id": event.agent.team,
            "supervisor_id": event.agent.supervisor,
            "campaign_id": event.campaign.id,
            "lead_id": event.customer.lead_id,
            "placed_at": event.placed_at,
            "day": day,
            "disposition": event.disposition,
            "connected": event.connected,
            "sale": sale_recorded(event),
            "ended": event.model_dump(mode="json", exclude={"turns"}),
            "turns": turns_data(turns),
        }
        stmt = insert(session, qa_call).values(call_id=event.call_id, **values)
        await session.execute(stmt.on_conflict_do_update(index_elements=["call_id"], set_=values))
        new = await self._check(session, event, turns, day, ctx)
        period = period_of(day, self.policy.sampling.period).key
        if first_time and event.connected:
            reason = await self._sample(session, event, day)
            if reason:
                await ensure_review(
                    session,
                    call_id=event.call_id,
                    agent_id=event.agent.id,
                    team_id=event.agent.team,
                    day=day,
                    period=period,
                    reason=reason,
                    ctx=ctx,
                )
        if new:
            await ensure_review(
                session,
                call_id=event.call_id,
                agent_id=event.agent.id,
                team_id=event.agent.team,
                day=day,
                period=period,
                reason="finding",
                ctx=ctx,
            )

    # -- CallTranscribed ------------------------------------------------------------------
    async def _transcribed(self, session: AsyncSession, event: CallTranscribed, ctx: EventContext) -> None:
        row = (await session.execute(select(qa_call).where(qa_call.c.call_id == event.call_id))).mappings().first()
        turns = turns_data(event.turns)
        if row is None or row["ended"] is None:  # keep it for the CallEnded to come
            stmt = insert(session, qa_call).values(call_id=event.call_id, turns=turns, connected=False, sale=False)
            await session.execute(stmt.on_conflict_do_update(index_elements=["call_id"], set_={"turns": turns}))
            return
        await session.execute(update(qa_call).where(qa_call.c.call_id == event.call_id).values(turns=turns))
        ended = CallEnded.model_validate({**row["ended"], "turns": []})
        day = row["day"] or call_day(ended.placed_at, self.policy.timezone)
        if await self._check(session, ended, list(event.turns), day, ctx):
            await ensure_review(
                session,
                call_id=ended.call_id,
                agent_id=ended.agent.id,
                team_id=ended.agent.team,
                day=day,
                period=period_of(day, self.policy.sampling.period).key,
                reason="finding",
                ctx=ctx,
            )

    # -- the check ------------------------------------------------------------------------
    async def _check(
        self, session: AsyncSession, event: CallEnded, turns: list[TranscriptTurn], day: date, ctx: EventContext
    ) -> int:
        """Run the rules; store and announce the findings not known yet. Returns how many."""
        if _erased(event, turns):
            # The lead's personal data was erased: what is left ("[erased]") is no transcript to
            # judge, and judging it would find what was never said (no greeting, no blessing).
            # The findings made while it could be read stand, with their fines.
            return 0
        record = record_from_call_ended(event, turns)
        findings = check_call(record, self.policy, pii_key=self.pii_key)
        now = datetime.now(UTC)
        new = 0
        for f in findings:
            found = self._violation(event, f, day, now)
            inserted = await session.execute(
                insert(session, violation).values(**found).on_conflict_do_nothing(index_elements=["violation_id"])
            )
            if not inserted.rowcount:  # type: ignore[attr-defined]
                continue
            new += 1
            await _enqueue(session, self._found_event(found), found["violation_id"], ctx)
        await session.execute(
            update(qa_call)
            .where(qa_call.c.call_id == event.call_id)
            .values(policy_version=self.policy.version, checked_at=now)
        )
        return new

    def _violation(self, event: CallEnded, f: Finding, day: date, now: datetime) -> dict[str, Any]:
        spec = self.policy.rules[f.rule]
        return {
            "violation_id": violation_id(event.call_id, f.rule, f.turn, f.policy_version),
            "call_id": event.call_id,
            "rule": f.rule,
            "title": f.title,
            "severity": f.severity,
            "source": "auto",
            "complaint_id": None,
            "complaint_deduction": 0,
            "agent_id": event.agent.id,
            "team_id": event.agent.team,
            "supervisor_id": event.agent.supervisor,
            "campaign_id": event.campaign.id,
            "lead_id": event.customer.lead_id,
            "day": day,
            "turn": f.turn,
            "span_start": f.span[0] if f.span else None,
            "span_end": f.span[1] if f.span else None,
            "evidence": f.evidence,
            "reason": f.reason,
            "fine_agent": f.fine_agent,
            "fine_supervisor": f.fine_supervisor,
            "penalty": f.penalty,
            "voids_sale": bool(spec.params.get("voids_sale", False)),
            "policy_version": f.policy_version,
            "status": "open",
            "found_at": now,
        }

    @staticmethod
    def _found_event(v: dict[str, Any]) -> ViolationFound:
        return ViolationFound(
            violation_id=v["violation_id"],
            call_id=v["call_id"],
            rule=v["rule"],
            severity=v["severity"],
            agent_id=v["agent_id"],
            team_id=v["team_id"],
            supervisor_id=v["supervisor_id"],
            campaign_id=v["campaign_id"],
            fine_agent=v["fine_agent"],
            fine_supervisor=v["fine_supervisor"],
            turn=v["turn"],
            evidence=v["evidence"],
            reason=v["reason"],
            policy_version=v["policy_version"],
            lead_id=v["lead_id"],
            title=v["title"],
            penalty=v["penalty"],
            span_start=v["span_start"],
            span_end=v["span_end"],
            source=v["source"],
            complaint_id=v["complaint_id"],
            call_day=v["day"],
            found_at=v["found_at"],
        )

    # -- sampling -------------------------------------------------------------------------
    async def _sample(self, session: AsyncSession, event: CallEnded, day: date) -> str | None:
        spec = self.policy.sampling
        period = period_of(day, spec.period)
        started = await agent_started_on(session, event.agent.id, self.agent_starts)
        share = share_for(spec, started, day)
        ins = insert(session, sample_counter).values(agent_id=event.agent.id, period=period.key, seen=1, sampled=0)
        row = (
            await session.execute(
                ins.on_conflict_do_update(
                    index_elements=["agent_id", "period"], set_={"seen": sample_counter.c.seen + 1}
                ).returning(sample_counter.c.seen, sample_counter.c.sampled)
            )
        ).one()
        decision = decide_sample(
            seen=int(row.seen) - 1,
            sampled=int(row.sampled),
            share=share,
            min_per_period=spec.min_per_period,
            elapsed=elapsed_fraction(local_time(event.placed_at, self.policy.timezone), period),
            phase_value=phase(event.agent.id, period.key),
        )
        if not decision.sampled:
            return None
        await session.execute(
            update(sample_counter)
            .where(sample_counter.c.agent_id == event.agent.id, sample_counter.c.period == period.key)
            .values(sampled=sample_counter.c.sampled + 1)
        )
        return f"random:{decision.reason}"

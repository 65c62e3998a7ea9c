"""The QA projection and reactor: every call checked on ``CallEnded`` and re-checked on
``CallTranscribed``; findings, review-queue entries and the events announcing them written in
the runner's transaction (events through the outbox, see ``common.outbox``).

A finding's id is derived from the call, the rule, the turn and the policy version, and is its
primary key here: a redelivered or replayed event, or a re-check that finds the same thing again,
inserts nothing and publishes nothing. Only new findings (say, the transcript arrived after the
call ended) produce new ``ViolationFound`` events.

A batch is applied set-based (``QaChecks.apply_batch``): one read per table of what its calls
need, the events applied in stream order in memory, one write per table and one outbox insert;
what it leaves is what applying its events one by one leaves (tests/service/test_projection_batch).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, ClassVar

from common.db import insert, upsert
from common.events.base import DomainEvent
from common.events.calls import CallEnded, CallTranscribed, SpeechTurn, TranscriptTurn
from common.events.leads import LeadPersonalDataErased
from common.events.qa import ReviewSampled, ViolationFound
from common.outbox import Cause, Outgoing, caused_by, enqueue, enqueue_many, scrub_lead
from common.personal_data import ERASED, erased_copy
from common.projection import EventContext
from pydantic import TypeAdapter
from sqlalchemy import bindparam, select, update
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


@dataclass(slots=True)
class _Review:
    """A review-queue row as the batch leaves it; ``stored``: it was in the database before."""

    row: dict[str, Any]
    stored: bool
    changed: bool = False


@dataclass(slots=True)
class _Checked:
    """One calls event after the rules ran on it (the batch's first pass)."""

    event: CallEnded  # for a CallTranscribed: the stored CallEnded, its turns left out
    ctx: EventContext
    day: date
    findings: list[Finding] | None  # None: not checked (an erased transcript)
    sample: bool  # a call connected and seen for the first time: drawn for review or not


@dataclass
class _Batch:
    """What a run of calls events reads once and writes once: the rows they touch, kept in
    memory while the events are applied in stream order, written in a few statements at the end."""

    calls: dict[str, dict[str, Any]]
    dirty_calls: set[str] = field(default_factory=set)
    known_violations: set[str] = field(default_factory=set)
    violations: list[dict[str, Any]] = field(default_factory=list)
    agent_starts: dict[str, date] = field(default_factory=dict)
    counters: dict[tuple[str, str], list[int]] = field(default_factory=dict)  # (agent, period) -> [seen, sampled]
    dirty_counters: set[tuple[str, str]] = field(default_factory=set)
    reviews: dict[str, _Review] = field(default_factory=dict)
    outgoing: list[Outgoing] = field(default_factory=list)


_CALL_COLUMNS = tuple(c.name for c in qa_call.columns)
# SQLite's default limit on bound parameters is 999 before 3.32; reads of a batch go in chunks.
_CHUNK = 900


def _chunks(values: Sequence[Any]) -> list[Sequence[Any]]:
    return [values[i : i + _CHUNK] for i in range(0, len(values), _CHUNK)]


class QaChecks:
    """The calls events of a batch are applied set-based: the rows they touch are read in one
    query per table, the rules run and the events are applied in stream order in memory, and the
    rows and outbox messages are written in one statement per table at the end, in the runner's
    transaction. The result is what applying them one by one gives: same rows, same findings,
    same events with the same ids in the same order. An erasure is applied between the runs of
    calls events around it, with everything before it written first."""

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
        await self.apply_batch(session, [(event, ctx)])

    async def apply_batch(self, session: AsyncSession, items: Sequence[tuple[DomainEvent, EventContext]]) -> None:
        run: list[tuple[DomainEvent, EventContext]] = []
        for event, ctx in items:
            if isinstance(event, LeadPersonalDataErased):
                await self._apply_calls(session, run)
                run = []
                await self._erase(session, event.lead_id)
            elif isinstance(event, CallEnded | CallTranscribed):
                run.append((event, ctx))
        await self._apply_calls(session, run)

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

    # -- a run of calls events ------------------------------------------------------------
    async def _apply_calls(self, session: AsyncSession, run: Sequence[tuple[DomainEvent, EventContext]]) -> None:
        """First pass, in stream order: the calls' rows in memory and the rules run (a
        transcript that came first is read from the row an earlier event left). Then what the
        second pass needs is read at once, and it decides, in stream order, which findings are
        new, the sampling and the review queue, collecting rows and events; then all is written."""
        if not run:
            return
        call_ids = sorted({event.call_id for event, _ctx in run if isinstance(event, CallEnded | CallTranscribed)})
        batch = _Batch(calls={})
        for ids in _chunks(call_ids):
            rows = (await session.execute(select(qa_call).where(qa_call.c.call_id.in_(ids)))).mappings()
            batch.calls.update((row["call_id"], dict(row)) for row in rows)
        checked: list[_Checked] = []
        for event, ctx in run:
            if isinstance(event, CallEnded):
                checked.append(self._ended(batch, event, ctx))
            elif isinstance(event, CallTranscribed):
                done = self._transcribed(batch, event, ctx)
                if done is not None:
                    checked.append(done)
        await self._read_for_decisions(session, batch, checked)
        for item in checked:
            self._decide(batch, item)
        await self._write(session, batch)

    def _ended(self, batch: _Batch, event: CallEnded, ctx: EventContext) -> _Checked:
        row = batch.calls.get(event.call_id)
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
        self._put_call(batch, event.call_id, values)
        return _Checked(event, ctx, day, self._findings(event, turns), first_time and event.connected)

    def _transcribed(self, batch: _Batch, event: CallTranscribed, ctx: EventContext) -> _Checked | None:
        row = batch.calls.get(event.call_id)
        turns = turns_data(event.turns)
        if row is None or row["ended"] is None:  # keep it for the CallEnded to come
            if row is None:
                self._put_call(batch, event.call_id, {"turns": turns, "connected": False, "sale": False})
            else:
                self._put_call(batch, event.call_id, {"turns": turns})
            return None
        self._put_call(batch, event.call_id, {"turns": turns})
        ended = CallEnded.model_validate({**row["ended"], "turns": []})
        day = row["day"] or call_day(ended.placed_at, self.policy.timezone)
        return _Checked(ended, ctx, day, self._findings(ended, list(event.turns)), False)

    @staticmethod
    def _put_call(batch: _Batch, call_id: str, values: dict[str, Any]) -> None:
        row = batch.calls.get(call_id)
        if row is None:
            row = batch.calls[call_id] = dict.fromkeys(_CALL_COLUMNS)
            row["call_id"] = call_id
        row.update(values)
        batch.dirty_calls.add(call_id)

    def _findings(self, event: CallEnded, turns: list[TranscriptTurn]) -> list[Finding] | None:
        """The rules' findings, or None for a transcript that is no longer there to judge."""
        if _erased(event, turns):
            # The lead's personal data was erased: what is left ("[erased]") is no transcript to
            # judge, and judging it would find what was never said (no greeting, no blessing).
            # The findings made while it could be read stand, with their fines.
            return None
        return check_call(record_from_call_ended(event, turns), self.policy, pii_key=self.pii_key)

    async def _read_for_decisions(self, session: AsyncSession, batch: _Batch, checked: Sequence[_Checked]) -> None:
        """The findings already known, the agents' start dates, their sample counters and the
        calls' review-queue rows: one query each."""
        found = sorted(
            {
                violation_id(item.event.call_id, f.rule, f.turn, f.policy_version)
                for item in checked
                for f in item.findings or ()
            }
        )
        for ids in _chunks(found):
            known = await session.execute(select(violation.c.violation_id).where(violation.c.violation_id.in_(ids)))
            batch.known_violations.update(known.scalars())
        sampled = [item for item in checked if item.sample]
        agents = sorted({item.event.agent.id for item in sampled})
        periods = sorted({period_of(item.day, self.policy.sampling.period).key for item in sampled})
        batch.agent_starts = dict(self.agent_starts)
        for ids in _chunks(agents):
            starts = await session.execute(
                select(qa_agent.c.agent_id, qa_agent.c.started_on).where(qa_agent.c.agent_id.in_(ids))
            )
            batch.agent_starts.update((agent, started) for agent, started in starts if started is not None)
            counters = await session.execute(
                select(
                    sample_counter.c.agent_id, sample_counter.c.period, sample_counter.c.seen, sample_counter.c.sampled
                ).where(sample_counter.c.agent_id.in_(ids), sample_counter.c.period.in_(periods))
            )
            batch.counters.update(((a, p), [int(seen), int(drawn)]) for a, p, seen, drawn in counters)
        for ids in _chunks(sorted({item.event.call_id for item in checked})):
            rows = await session.execute(
                select(review_item.c.call_id, review_item.c.reasons, review_item.c.status).where(
                    review_item.c.call_id.in_(ids)
                )
            )
            batch.reviews.update(
                (call_id, _Review({"reasons": list(reasons or []), "status": status}, stored=True))
                for call_id, reasons, status in rows
            )

    # -- the decisions, in stream order ---------------------------------------------------
    def _decide(self, batch: _Batch, item: _Checked) -> None:
        event, day = item.event, item.day
        new = 0
        if item.findings is not None:
            now = datetime.now(UTC)
            cause = Cause.of(item.ctx.envelope)
            for f in item.findings:
                found = self._violation(event, f, day, now)
                if found["violation_id"] in batch.known_violations:
                    continue
                batch.known_violations.add(found["violation_id"])
                batch.violations.append(found)
                batch.outgoing.append(Outgoing(self._found_event(found), found["violation_id"], cause))
                new += 1
            self._put_call(batch, event.call_id, {"policy_version": self.policy.version, "checked_at": now})
        period = period_of(day, self.policy.sampling.period).key
        if item.sample:
            reason = self._sample(batch, event, day)
            if reason:
                self._review(batch, item, period, reason)
        if new:
            self._review(batch, item, period, "finding")

    def _review(self, batch: _Batch, item: _Checked, period: str, reason: str) -> None:
        """``ensure_review`` on the batch's rows: the call in the review queue for ``reason``
        (again pending if it had been reviewed), announced with ``ReviewSampled`` once per call
        and reason."""
        event = item.event
        now = datetime.now(UTC)
        review = batch.reviews.get(event.call_id)
        if review is None:
            batch.reviews[event.call_id] = _Review(
                {
                    "call_id": event.call_id,
                    "agent_id": event.agent.id,
                    "team_id": event.agent.team,
                    "day": item.day,
                    "period": period,
                    "reasons": [reason],
                    "status": "pending",
                    "sampled_at": now,
                },
                stored=False,
                changed=True,
            )
        else:
            if reason in review.row["reasons"]:
                return
            # A reviewed call goes back to pending (its completion is cleared when written).
            review.row.update(reasons=[*review.row["reasons"], reason], status="pending")
            review.changed = True
        sampled = ReviewSampled(
            call_id=event.call_id,
            agent_id=event.agent.id,
            team_id=event.agent.team,
            reasons=[reason],
            period=period,
            sampled_at=now,
        )
        batch.outgoing.append(
            Outgoing(sampled, event_id("ReviewSampled", event.call_id, reason), Cause.of(item.ctx.envelope))
        )

    # -- the writes -----------------------------------------------------------------------
    async def _write(self, session: AsyncSession, batch: _Batch) -> None:
        await upsert(session, qa_call, [batch.calls[c] for c in sorted(batch.dirty_calls)], ["call_id"])
        if batch.violations:
            await session.execute(
                insert(session, violation).on_conflict_do_nothing(index_elements=["violation_id"]), batch.violations
            )
        await upsert(
            session,
            sample_counter,
            [
                {"agent_id": a, "period": p, "seen": batch.counters[a, p][0], "sampled": batch.counters[a, p][1]}
                for a, p in sorted(batch.dirty_counters)
            ],
            ["agent_id", "period"],
        )
        added = [r.row for r in batch.reviews.values() if r.changed and not r.stored]
        if added:
            await session.execute(
                insert(session, review_item).on_conflict_do_nothing(index_elements=["call_id"]), added
            )
        again = [
            {"b_call_id": call_id, "b_reasons": r.row["reasons"]}
            for call_id, r in batch.reviews.items()
            if r.changed and r.stored
        ]
        if again:
            await session.execute(
                update(review_item)
                .where(review_item.c.call_id == bindparam("b_call_id"))
                .values(
                    reasons=bindparam("b_reasons", type_=review_item.c.reasons.type),
                    status="pending",
                    completed_at=None,
                ),
                again,
            )
        await enqueue_many(session, batch.outgoing)

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
    def _sample(self, batch: _Batch, event: CallEnded, day: date) -> str | None:
        spec = self.policy.sampling
        period = period_of(day, spec.period)
        share = share_for(spec, batch.agent_starts.get(event.agent.id), day)
        key = (event.agent.id, period.key)
        counter = batch.counters.setdefault(key, [0, 0])  # [seen, sampled] before this call
        batch.dirty_counters.add(key)
        decision = decide_sample(
            seen=counter[0],
            sampled=counter[1],
            share=share,
            min_per_period=spec.min_per_period,
            elapsed=elapsed_fraction(local_time(event.placed_at, self.policy.timezone), period),
            phase_value=phase(event.agent.id, period.key),
        )
        counter[0] += 1
        if not decision.sampled:
            return None
        counter[1] += 1
        return f"random:{decision.reason}"

"""Per-call precomputation shared by the detectors (one phrase-automaton pass per turn)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone, tzinfo
from functools import lru_cache

from qa.rules.model import CallRecord, Finding, HoldTurn, SpeechTurn
from qa.rules.policy import CompiledPolicy, Hit, Policy
from qa.rules.textutil import normalize

CHINA_TZ = timezone(timedelta(hours=8), "CST")


@lru_cache(maxsize=16)
def get_tz(name: str) -> tzinfo:
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo(name)
    except Exception:  # no tz database on the host: China has had no DST since 1991
        return CHINA_TZ


@dataclass(slots=True)
class TurnView:
    index: int  # index into call.turns
    speaker: str
    text: str  # original text (evidence and spans refer to it)
    norm: str  # same length, punctuation normalised
    start_s: float
    end_s: float
    hits: dict[str, list[Hit]] = field(default_factory=dict)

    @property
    def is_agent(self) -> bool:
        return self.speaker == "agent"

    @property
    def is_customer(self) -> bool:
        return self.speaker == "customer"


@dataclass(slots=True)
class HoldView:
    index: int
    start_s: float
    end_s: float

    @property
    def duration_s(self) -> float:
        return max(0.0, self.end_s - self.start_s)


class CallContext:
    """Views over a call's turns with all phrase hits precomputed."""

    def __init__(self, call: CallRecord, policy: Policy) -> None:
        self.call = call
        self.policy = policy
        self.cp: CompiledPolicy = policy.compiled()
        self.speech: list[TurnView] = []
        self.holds: list[HoldView] = []
        for i, turn in enumerate(call.turns):
            if isinstance(turn, SpeechTurn):
                norm = normalize(turn.text)
                self.speech.append(
                    TurnView(i, turn.speaker, turn.text, norm, turn.start_s, turn.end_s, self.cp.scan(norm))
                )
            elif isinstance(turn, HoldTurn):
                self.holds.append(HoldView(i, turn.start_s, turn.end_s))
        self.agent_turns = [t for t in self.speech if t.is_agent]
        self.customer_turns = [t for t in self.speech if t.is_customer]
        self.local_placed: datetime = call.placed_at.astimezone(get_tz(policy.timezone))

    @staticmethod
    def hits(turn: TurnView, rule_id: str, name: str) -> list[Hit]:
        return turn.hits.get(f"{rule_id}:{name}", [])

    @staticmethod
    def has(turn: TurnView, rule_id: str, name: str) -> bool:
        return f"{rule_id}:{name}" in turn.hits

    def finding(
        self,
        rule_id: str,
        *,
        turn: TurnView | HoldView | None = None,
        evidence: str = "",
        span: tuple[int, int] | None = None,
        reason: str = "",
    ) -> Finding:
        spec = self.policy.rules[rule_id]
        return Finding(
            rule=rule_id,
            title=spec.title,
            severity=spec.severity,
            fine_agent=spec.fine_agent,
            fine_supervisor=spec.fine_supervisor,
            penalty=spec.penalty,
            turn=None if turn is None else turn.index,
            evidence=evidence,
            span=span,
            reason=reason,
            policy_version=self.policy.version,
        )

    def quote(self, turn: TurnView, start: int, end: int, rule_id: str, reason: str) -> Finding:
        return self.finding(
            rule_id, turn=turn, evidence=turn.text[start:end], span=(start, end), reason=reason
        )

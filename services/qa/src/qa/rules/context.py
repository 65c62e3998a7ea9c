"""Per-call precomputation shared by the detectors: one phrase-automaton pass per speaker over
all of that speaker's turns, so the cost grows linearly with the transcript."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from functools import lru_cache

from common.events.calls import HoldPeriod, SpeechTurn
from common.timeutil import zone

from qa.rules.model import CallRecord, Evidence, Finding
from qa.rules.names import NameMatcher
from qa.rules.policy import TURN_SEP, CompiledPolicy, Hit, Policy
from qa.rules.textutil import normalize

_NONE: list[Hit] = []  # shared empty result: callers never mutate hit lists


@lru_cache(maxsize=16)
def get_tz(name: str) -> tzinfo:
    return zone(name)


@dataclass(slots=True)
class TurnView:
    index: int  # index into call.turns
    speaker: str
    text: str  # original text (evidence and spans refer to it)
    norm: str  # same length, punctuation normalised
    start_s: float
    end_s: float
    hits: dict[str, list[Hit]] = field(default_factory=dict)
    lazy: dict[str, list[Hit]] | None = None  # hits of the policy's lazy sets, once asked for

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

    def __init__(self, call: CallRecord, policy: Policy, names: NameMatcher | None = None) -> None:
        self.call = call
        self.policy = policy
        self.names = names
        self.cp: CompiledPolicy = policy.compiled()
        self.memo: dict[str, dict[int, list[tuple[int, int]]]] = {}  # per-turn results detectors share
        self.speech: list[TurnView] = []
        self.holds: list[HoldView] = []
        self.agent_turns: list[TurnView] = []
        self.customer_turns: list[TurnView] = []
        speech, agent, customer, holds = self.speech, self.agent_turns, self.customer_turns, self.holds
        spoken: list[tuple[int, SpeechTurn]] = []
        for i, turn in enumerate(call.turns):
            if type(turn) is SpeechTurn:
                spoken.append((i, turn))
            elif isinstance(turn, HoldPeriod):
                holds.append(HoldView(i, turn.start_s, turn.end_s))
        if spoken:
            # One normalisation over all turns (same length, so offsets hold), then one automaton pass
            # per speaker over that speaker's turns; each view is built once, with its hits.
            texts = [turn.text for _, turn in spoken]
            norms = normalize(TURN_SEP.join(texts)).split(TURN_SEP)
            if len(norms) != len(spoken):  # a turn containing the separator itself
                norms = [normalize(t) for t in texts]
            is_agent = [turn.speaker == "agent" for _, turn in spoken]
            found = {
                True: iter(self.cp.scan_turns([n for n, a in zip(norms, is_agent, strict=True) if a], "agent")),
                False: iter(self.cp.scan_turns([n for n, a in zip(norms, is_agent, strict=True) if not a], "customer")),
            }
            for (i, turn), norm, a in zip(spoken, norms, is_agent, strict=True):
                view = TurnView(i, turn.speaker, turn.text, norm, turn.start_s, turn.end_s, next(found[a]))
                speech.append(view)
                (agent if a else customer).append(view)
        self.local_placed: datetime = call.placed_at.astimezone(get_tz(policy.timezone))

    def _lazy(self, turn: TurnView) -> dict[str, list[Hit]]:
        lazy = turn.lazy
        if lazy is None:
            lazy = turn.lazy = self.cp.lazy_matchers[turn.speaker].scan_one(turn.norm)
        return lazy

    def hits(self, turn: TurnView, rule_id: str, name: str) -> list[Hit]:
        key = f"{rule_id}:{name}"
        found = turn.hits.get(key)
        if found is not None:
            return found
        if key in self.cp.lazy_keys:
            return self._lazy(turn).get(key, _NONE)
        return _NONE

    def has(self, turn: TurnView, rule_id: str, name: str) -> bool:
        key = f"{rule_id}:{name}"
        if key in turn.hits:
            return True
        return key in self.cp.lazy_keys and key in self._lazy(turn)

    def finding(
        self,
        rule_id: str,
        *,
        turn: TurnView | HoldView | None = None,
        evidence: str = "",
        span: tuple[int, int] | None = None,
        reason: str = "",
        related: tuple[Evidence, ...] = (),
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
            related=related,
        )

    def quote(
        self, turn: TurnView, start: int, end: int, rule_id: str, reason: str, related: tuple[Evidence, ...] = ()
    ) -> Finding:
        return self.finding(
            rule_id, turn=turn, evidence=turn.text[start:end], span=(start, end), reason=reason, related=related
        )

    @staticmethod
    def evidence(role: str, turn: TurnView, start: int, end: int) -> Evidence:
        """A further span of ``turn`` a finding rests on."""
        return Evidence(role=role, turn=turn.index, span=(start, end), text=turn.text[start:end])

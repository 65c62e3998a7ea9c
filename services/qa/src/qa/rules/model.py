"""The rules' input, the partner's call record, and their output, findings.

The input is the one model of a finished call the platform has (``common.events.partner``,
domain.md section 6): the datasets are in that shape, and the QA service rebuilds it from
``CallEnded`` (``qa.domain.adapter``). Its turns are the call events' own types; the names below
are what the rules have always imported."""

from __future__ import annotations

from typing import Any

from common.events.calls import HoldPeriod as HoldTurn
from common.events.calls import SpeechTurn
from common.events.partner import CallRecord
from pydantic import BaseModel, ConfigDict

__all__ = ["CallRecord", "Evidence", "Finding", "HoldTurn", "SpeechTurn"]


class Evidence(BaseModel):
    """A further span a finding rests on (e.g. QA-05's contradiction and the customer's reaction,
    besides the promise the finding's own ``turn``/``span`` point at)."""

    model_config = ConfigDict(frozen=True)

    role: str
    turn: int
    span: tuple[int, int]
    text: str


class Finding(BaseModel):
    """One automatic QA finding; a reviewer confirms or dismisses it (only confirmed ones carry fines)."""

    model_config = ConfigDict(frozen=True)

    rule: str
    title: str
    severity: str
    fine_agent: int = 0
    fine_supervisor: int = 0
    penalty: str = ""
    turn: int | None = None
    evidence: str = ""
    span: tuple[int, int] | None = None
    reason: str = ""
    policy_version: str = ""
    related: tuple[Evidence, ...] = ()

    def brief(self) -> dict[str, Any]:
        return {"rule": self.rule, "turn": self.turn, "evidence": self.evidence}

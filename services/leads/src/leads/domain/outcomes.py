"""What a finished call tells about a lead: intent tier, clean-up flags, do-not-call.

Tiers come from the outbound marketing handbook ([004] 外呼营销心得): 联系不上 unreachable,
成功 success, 较有意向 strong intent, 有意向 intent, 不申请 declined. Intent is reclassified
after every call that reveals intent; a call that reveals nothing (no answer, busy, a callback
agreed) does not erase what an earlier conversation established.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

IntentTier = Literal["unreachable", "declined", "intent", "strong_intent", "success"]
TIERS: tuple[IntentTier, ...] = ("unreachable", "declined", "intent", "strong_intent", "success")

# Dispositions that classify the customer's intent, whatever the tier was before.
INTENT_OF_DISPOSITION: dict[str, IntentTier] = {
    "success": "success",
    "strong_interest": "strong_intent",
    "appointment": "strong_intent",
    "interested": "intent",
    "refused": "declined",
    "no_interest": "declined",
    "complaint": "declined",
    "do_not_call": "declined",
}
# Dispositions that only say the customer was not reached (or not the right person). They make a
# lead "unreachable" when nothing better is known, and never downgrade a known intent.
NOT_REACHED = frozenset({"no_answer", "busy", "invalid_number", "wrong_person", "network_error"})

# Dispositions meaning: the customer asked not to be called again (the calls service may report
# them; partners' dialers use several spellings).
DO_NOT_CALL_DISPOSITIONS = frozenset({"do_not_call", "dnc", "opt_out", "opted_out"})
# Dispositions after which the lead rests (下个月我再联系您: re-contact next month, [001]).
REST_DISPOSITIONS = frozenset({"refused"})

FLAG_OF_DISPOSITION: dict[str, str] = {"wrong_person": "wrong_person", "invalid_number": "invalid_number"}

# A customer turn that refuses clearly (QA-04 counts three of them in one call).
_REFUSAL = re.compile(
    r"(不需要|不用了|不用|不要|没兴趣|没有兴趣|不感兴趣|不考虑|不办|不买|不想要|算了吧|别说了|不必了)"
)
# A customer turn that asks not to be called again.
_DO_NOT_CALL = re.compile(r"(别再打|不要再打|不要再给我打|别给我打|以后别打|再打我就投诉|不要再联系|别再联系)")


def tier_after(current: IntentTier | None, disposition: str) -> IntentTier | None:
    """The tier after a call with ``disposition``; None when the call changes nothing."""
    target = INTENT_OF_DISPOSITION.get(disposition)
    if target is not None:
        return target
    if disposition in NOT_REACHED and current is None:
        return "unreachable"
    return current


def count_clear_refusals(customer_turns: Iterable[str]) -> int:
    """How many customer turns refuse clearly (one per turn, however many words it repeats)."""
    return sum(1 for text in customer_turns if _REFUSAL.search(text or ""))


def asks_not_to_be_called(customer_turns: Iterable[str]) -> bool:
    return any(_DO_NOT_CALL.search(text or "") for text in customer_turns)


@dataclass(frozen=True, slots=True)
class OptOutDecision:
    reason: str
    source: str  # customer_request | refusals | rest
    rest: bool  # True: an expiring rest, False: permanent


def opt_out_for_call(
    disposition: str, customer_turns: Iterable[str], refusal_limit: int = 3, rest_on_refusal: bool = True
) -> OptOutDecision | None:
    """Whether a call puts the lead on the do-not-call list, and how.

    A do-not-call disposition or an explicit request in the transcript: permanent. Three clear
    refusals in one call: permanent (the customer said no; a fourth call would be QA-04 again).
    A plain refusal: a rest, re-contact next month."""
    turns = list(customer_turns)
    if disposition in DO_NOT_CALL_DISPOSITIONS:
        return OptOutDecision(
            f"customer asked not to be called again (disposition {disposition})",
            "customer_request",
            rest=False,
        )
    if asks_not_to_be_called(turns):
        return OptOutDecision("customer asked not to be called again", "customer_request", rest=False)
    refusals = count_clear_refusals(turns)
    if refusal_limit > 0 and refusals >= refusal_limit:
        return OptOutDecision(f"customer refused clearly {refusals} times in one call", "refusals", rest=False)
    if rest_on_refusal and disposition in REST_DISPOSITIONS:
        return OptOutDecision("refused: re-contact next month (下个月再联系)", "rest", rest=True)
    return None

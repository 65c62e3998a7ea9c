"""Issue 17, eighth round (policy 2026.12.05): the kinds read from qa-variants-33's last three
calls and from the development sets written for this round by helpers who had not read the
detectors (qa-variants-34 … 39), each scored before it was read. Every kind is checked here on
wordings of its own (other products, names and verbs), with hard negatives, so what is tested is
the kind and not those sets' sentences. A case that already passes on the checker before the
round (fb0bb2f, policy 2026.12.04) is a guard: a positive the round's new exemptions must not
swallow, or a hard negative its new readings must not fire on."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from qa.rules import Policy
from qa.testing import case_call as std

Case = tuple[str, list[tuple[str, Any]], dict[str, Any], str, bool]  # name, turns, overrides, rule, fires
CASES: list[Case] = [
    # QA-05: the customer points back at the promise, stating it (你刚才讲… / 刚才还<the promise's
    # words>呢), and walks away in few words in that turn or the next (那算了 / 我找别家): a quiet
    # reaction to a contradiction the agent never put as a fee or condition (a timetable, a rate)
    (
        "05-points-back-then-drops-next-turn",
        std(
            ("a", "您放心,我们的装修队签约后二十天保证完工,一天都不拖。"),
            ("c", "那好,我五一前要住进去。"),
            ("a", "跟您说下流程:先出图要两周,水电再走十天,瓷砖进场还得等厂家排单。"),
            ("c", "你刚才讲二十天完工,这光出图就两周了。"),
            ("a", "流程是这样的,师傅会尽量赶。"),
            ("c", "那算了,我另外找个队伍。"),
        ),
        {},
        "QA-05",
        True,
    ),
    (
        "05-quotes-promise-and-drops",
        std(
            ("a", "这款净水器滤芯保证用满三年,中间不用换。"),
            ("c", "三年?那挺省事。"),
            ("a", "对,不过我们建议您半年换一次前置棉,一年换一次活性炭。"),
            ("c", "刚才还三年不用换呢。那就算了吧。"),
        ),
        {},
        "QA-05",
        True,
    ),
    (
        "05-points-back-as-a-check-then-drops",
        # the customer checks the promise (…是吧?) and declines for a reason of their own: kept, not taken back
        std(
            ("a", "您放心,签约后二十天保证完工,一天都不拖。"),
            ("c", "你刚才讲二十天完工是吧?"),
            ("a", "对,二十天。"),
            ("c", "那算了,我等不了二十天,我下礼拜就要住。"),
        ),
        {},
        "QA-05",
        False,
    ),
    (
        "05-quote-not-of-the-promise",
        # 刚才还…呢 about something else than the promise: no point-back
        std(
            ("a", "这款净水器滤芯保证用满三年,中间不用换。"),
            ("c", "我家老人刚才还念叨水不好喝呢。那算了,我回头跟他们商量。"),
        ),
        {},
        "QA-05",
        False,
    ),
    (
        "05-drops-without-pointing-back",
        std(
            ("a", "这款净水器滤芯保证用满三年,中间不用换。"),
            ("c", "哦,那算了,我家刚装了一台。"),
        ),
        {},
        "QA-05",
        False,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_round8_kinds(check_case: Callable[[Case], None], case: Case) -> None:
    check_case(case)


# The lists and words this round's readings rest on live in the versioned policy; a policy that
# dropped one would silently read nothing.
ROUND8_LISTS = [
    ("QA-05", "objection_quote"),
]
ROUND8_PHRASES = [
    ("QA-05", "quiet_withdrawal"),
    ("QA-05", "objection_quote_trigger"),
]


@pytest.mark.parametrize(("rule_id", "name"), ROUND8_LISTS, ids=[f"{r}:{n}" for r, n in ROUND8_LISTS])
def test_round8_lists_are_in_the_policy(policy: Policy, rule_id: str, name: str) -> None:
    assert policy.compiled().regex(rule_id, name), f"{rule_id}.patterns.{name} is missing"


@pytest.mark.parametrize(("rule_id", "name"), ROUND8_PHRASES, ids=[f"{r}:{n}" for r, n in ROUND8_PHRASES])
def test_round8_phrases_are_in_the_policy(policy: Policy, rule_id: str, name: str) -> None:
    assert policy.compiled().phrases(rule_id, name), f"{rule_id}.phrases.{name} is missing"

"""Issue 17, ninth round (policy 2026.12.06): the kinds read from qa-unseen-13 once released (sealed for
the seventh and eighth rounds, 0.943 / 0.962 at a16874a, per rule in its README) and from the
development sets written for this round by helpers who had not read the detectors, each scored before it
was read. Every kind is checked here on wordings of its own (other products, names and verbs), with hard
negatives, so what is tested is the kind and not those sets' sentences. A case that already passes on the
checker at the round's start (a16874a, policy 2026.12.05) is a guard."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from qa.rules import Policy
from qa.testing import CASE_BYE as BYE
from qa.testing import CASE_CLOSE as CLOSE
from qa.testing import CASE_OPEN as OPEN
from qa.testing import CASE_PURPOSE as PURPOSE
from qa.testing import CASE_YES as YES
from qa.testing import case_call as std

Case = tuple[str, list[tuple[str, Any]], dict[str, Any], str, bool]  # name, turns, overrides, rule, fires
CASES: list[Case] = [
    # QA-05: a single failure refunded in full (只要…一次,全款退) and "not one … will" (一个字都不会错) are
    # categorical promises; a later limit on the refund, pointed back at, is the contradiction
    (
        "05-full-refund-on-one-failure",
        std(
            ("a", "我们的字幕机您放心,一晚上一个字都不会错,只要错一次,全款退给您。"),
            ("c", "那要是临时改名单呢?"),
            ("a", "临时改的不算,而且就算是机器的问题,也只退设备租金的两成。"),
            ("c", "你刚刚才讲错一次全款退,怎么又变成两成了?算了,我不租了。"),
        ),
        {},
        "QA-05",
        True,
    ),
    (
        "05-full-refund-kept",
        # the limit is said with the promise, up front: nothing is taken back later
        std(
            ("a", "机器的问题导致字幕出错,全款退给您;临时改名单的不算在里头。"),
            ("c", "行,那临时改的我们自己注意。"),
        ),
        {},
        "QA-05",
        False,
    ),
    (
        "05-misheard-said-back-is-no-concession",
        # the customer repeats the agent's accusation (还说我听错) and walks out: that concedes nothing
        std(
            ("a", "我们给您拍的照片,一张都不会糊,糊一张全款退。"),
            ("c", "那挺好。"),
            ("a", "不过逆光的、人动了的不算,退也只退那一张的冲印费。"),
            ("c", "你刚才明明讲糊一张全款退。"),
            ("a", "您肯定是听错了,哪有全款退的。"),
            ("c", "话是你自己讲的,还说我听错。算了,我另外找人。"),
        ),
        {},
        "QA-05",
        True,
    ),
    (
        "05-misheard-conceded",
        std(
            ("a", "我们给您拍的照片,一张都不会糊,糊一张全款退。"),
            ("c", "那挺好。"),
            ("a", "不过逆光的、人动了的不算,退也只退那一张的冲印费。"),
            ("c", "你刚才不是讲糊一张全款退吗?"),
            ("a", "是机器问题糊的全款退,逆光的本来就拍不清。"),
            ("c", "哦,是我听错了,那行。"),
        ),
        {},
        "QA-05",
        False,
    ),
    # QA-03a: a north-eastern close (那就这么地 / 就这么着) closes the call like 那就这样, and 嗯呐 / 嗯哪 only
    # acknowledge; asking the customer to hang up first in other words (您这边先挂, 我等您挂了再挂) is the
    # catalogue's 请您先挂机
    (
        "03a-northeast-close-without-blessing",
        [
            OPEN,
            YES,
            PURPOSE,
            ("c", "我跟家里商量商量。"),
            ("a", "行,那就这么地,您商量好了给我来个电话。"),
            ("c", "嗯哪,行。"),
        ],
        {},
        "QA-03a",
        True,
    ),
    (
        "03a-northeast-close-with-blessing",
        [
            OPEN,
            YES,
            PURPOSE,
            ("c", "我跟家里商量商量。"),
            ("a", "行,那就这么着,祝您全家顺顺当当的。"),
            ("c", "嗯呐,行。"),
        ],
        {},
        "QA-03a",
        False,
    ),
    (
        "03a-hang-up-first-in-other-words",
        [OPEN, YES, PURPOSE, ("c", "下周再说吧。"), ("a", "好的,那我下周二再打给您,您这边先挂,我等您挂了再挂。"), BYE],
        {},
        "QA-03a",
        False,
    ),
    (
        "03a-agent-hangs-up-first-is-no-close",
        # the agent says it will hang up itself: no wish, no 请您先挂机
        [OPEN, YES, PURPOSE, ("c", "下周再说吧。"), ("a", "好的,那我下周二再打给您,我这边先挂了。"), BYE],
        {},
        "QA-03a",
        True,
    ),
    # QA-01: a name in parts, then the first syllable of its first part as a surname with a title
    # (买买提·艾力买经理): the name checks who answers, the title addresses
    (
        "01-name-in-parts-then-first-syllable-title",
        [
            ("a", "您好,请问是买买提·艾力买经理吗?我是中国移动的客户经理小李。"),
            YES,
            ("a", "买经理您好,今天来电是想跟您介绍一下宽带升级的活动。"),
            CLOSE,
            BYE,
        ],
        {"lead": {"name": "买买提·艾力"}},
        "QA-01",
        False,
    ),
    (
        "01-name-in-parts-bare",
        [
            OPEN,
            YES,
            ("a", "买买提·艾力,今天来电是想跟您介绍一下宽带升级的活动。"),
            CLOSE,
            BYE,
        ],
        {"lead": {"name": "买买提·艾力"}},
        "QA-01",
        True,
    ),
    # QA-12: a hundred and more without 岁 is a count of people or things, not the speaker's age
    (
        "12-a-hundred-and-more-is-a-count",
        std(
            ("c", "我们村里种茶的也有一百多,都等着看你们的机子。"),
            ("a", "那我们周六把样机拉过去给大家看看。"),
        ),
        {"lead": {"birth_year": 1975}},
        "QA-12",
        False,
    ),
    (
        "12-old-age-still-read",
        std(
            ("c", "我今年都七十六了,还要这个干啥。"),
            ("a", "七十六身子骨还这么硬朗,这款按摩椅您用正合适,我给您订一台?"),
        ),
        {"lead": {"birth_year": 1950}},
        "QA-12",
        True,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_round9_kinds(check_case: Callable[[Case], None], case: Case) -> None:
    check_case(case)


# The words this round's readings rest on live in the versioned policy; a policy that dropped one would
# silently read nothing.
ROUND9_PHRASES = [
    ("QA-03a", "closing_line", "就这么地"),
    ("QA-03a", "blessing", "您这边先挂"),
    ("QA-05", "promise_trigger", "全款"),
]


@pytest.mark.parametrize(("rule_id", "name", "word"), ROUND9_PHRASES, ids=[f"{r}:{n}" for r, n, _ in ROUND9_PHRASES])
def test_round9_words_are_in_the_policy(policy: Policy, rule_id: str, name: str, word: str) -> None:
    assert word in policy.compiled().phrases(rule_id, name), f"{rule_id}.phrases.{name} lacks {word}"

"""Issue 17, fifth round (policy 2026.12.02): the kinds read from qa-unseen-5's misses and false
alarms (released after being scored sealed), each checked here on wordings of its own (other
products, names and verbs) with hard negatives, so what is tested is the kind, not that set's
sentences. The positives, and the negatives marked so, fail on the checker before this round
(f47af21, policy 2026.12.01)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

OPEN = ("a", "您好,我是中国移动的客户经理小李,请问是王先生吗?")
YES = ("c", "是我。")
PURPOSE = ("a", "王先生您好,今天来电是想跟您介绍一下宽带升级的活动。")
CLOSE = ("a", "好的,感谢您的接听,祝您生活愉快,请您先挂机。")
BYE = ("c", "好,再见。")
NO_PRICE = {"campaign": {"price_on_phone": False}}
INELIGIBLE = {"eligibility": "ineligible", "disposition": "no_interest"}


def std(*middle: tuple[str, Any]) -> list[tuple[str, Any]]:
    return [OPEN, YES, PURPOSE, *middle, CLOSE, BYE]


def ending(*last: tuple[str, Any]) -> list[tuple[str, Any]]:
    """A call whose last turns are ``last`` (no standard closing after them)."""
    return [OPEN, YES, PURPOSE, ("c", "不需要,我家里已经装了。"), *last]


Case = tuple[str, list[tuple[str, Any]], dict[str, Any], str, bool]  # name, turns, overrides, rule, fires
CASES: list[Case] = [
    # QA-07: a question rhetorical by its grammar, aimed at the customer, in words no list holds
    ("07-belittling-lian-dou", std(("a", "您做了这么多年生意,连发票抬头都填不对?")), {}, "QA-07", True),
    ("07-still-fussing-over", std(("a", "快递都退回来三次了,您还惦记着改地址?")), {}, "QA-07", True),
    ("07-wouldnt-that-do", std(("a", "您把盖子拧开看一眼不就清楚了?")), {}, "QA-07", True),
    ("07-mocking-supposition", std(("a", "您不会以为这东西能自己变干净吧?")), {}, "QA-07", True),
    ("07-not-at-all", std(("a", "您是不是根本没看我们发的说明?")), {}, "QA-07", True),
    ("07-others-set-against", std(("a", "人家隔壁几家店怎么就早早装上了?")), {}, "QA-07", True),
    ("07-polite-anything-else", std(("a", "宽带都装好了,您还有别的问题吗?")), {}, "QA-07", False),
    ("07-general-no-target", std(("a", "谁不想让孩子少走点弯路呢?")), {}, "QA-07", False),
    ("07-offer-value-question", std(("a", "您不觉得这样更省心吗?")), {}, "QA-07", False),
    ("07-consecutive-is-not-lian", std(("a", "您连续三个月都没用流量,是要换个套餐吗?")), {}, "QA-07", False),
    ("07-information-question", std(("a", "您还没收到短信吗?我再给您发一遍。")), {}, "QA-07", False),
    # QA-06: a Latin name with a digit is a name; the customer's own organisation; a supplier's brand
    ("06-digit-in-latin-name", std(("a", "我们是3M官方授权的净水服务商。")), {}, "QA-06", True),
    (
        "06-customers-own-union",  # negative that fired before
        std(("a", "您单位的工会之前找过我们,我们是工会的指定服务商。")),
        {},
        "QA-06",
        False,
    ),
    (
        "06-suppliers-brand",  # negative that fired before
        std(("a", "我们中国移动的千兆宽带,光猫用的是华为的千兆光猫。")),
        {},
        "QA-06",
        False,
    ),
    ("06-offer-presented-as-theirs", std(("a", "我们这个套餐其实是华为的。")), {}, "QA-06", True),
    ("06-supplier-with-a-claim", std(("a", "我们的光猫是华为的授权合作产品。")), {}, "QA-06", True),
    # QA-03a: an agent who concedes the end and asks nothing had the floor to bless
    ("03a-conceded-no-blessing", ending(("a", "那行,资料我就不给您发了。"), ("c", "挂了。")), {}, "QA-03a", True),
    (
        "03a-question-then-customer-ends",
        ending(("a", "那行,我再跟您确认一下地址?"), ("c", "不用了,别打了。")),
        {},
        "QA-03a",
        False,
    ),
    # QA-02: an invitation to the team's own premises, whatever they are called
    (
        "02-invited-to-our-base",
        std(("a", "这个型号我们修不了。"), ("c", "那算了。"), ("a", "您可以到我们基地坐坐,说不定有合适的。")),
        INELIGIBLE,
        "QA-02",
        True,
    ),
    (
        "02-same-words-eligible",
        std(("a", "您可以到我们基地坐坐,说不定有合适的。")),
        {},
        "QA-02",
        False,
    ),
    (
        "02-ineligible-referred-elsewhere",
        std(("a", "这个型号我们修不了。"), ("c", "那算了。"), ("a", "您可以打厂家的客服问问。")),
        INELIGIBLE,
        "QA-02",
        False,
    ),
    # QA-09: a bare round figure in spoken money form
    ("09-bare-figure", std(("a", "这种的话五千八,带安装。")), NO_PRICE, "QA-09", True),
    ("09-bare-figure-approx", std(("a", "像您这个面积,一般在三万二左右。")), NO_PRICE, "QA-09", True),
    ("09-a-count-is-not-a-price", std(("a", "这种型号我们有三千多,都是老客户在用。")), NO_PRICE, "QA-09", False),
    ("09-distance-is-not-a-price", std(("a", "您的车才跑了四万五千公里。")), NO_PRICE, "QA-09", False),
    ("09-count-of-firms", std(("a", "我们服务过两万多家企业。")), NO_PRICE, "QA-09", False),
    # QA-12: nobody on the phone is a baby
    (
        "12-babys-age-is-not-the-speakers",  # negative that fired before
        std(("a", "家里有小朋友吗?"), ("c", "有,快两岁了。"), ("a", "那千兆宽带很合适,看视频不卡。")),
        {"disposition": "success", "lead": {"birth_year": 1990}},
        "QA-12",
        False,
    ),
    (
        "12-own-age-still-counts",
        std(("a", "您今年多大年纪了?"), ("c", "我七十六了。"), ("a", "那千兆宽带很合适,看视频不卡。")),
        {"disposition": "success", "lead": {"birth_year": None}},
        "QA-12",
        True,
    ),
    # QA-05: a guaranteed result with a penalty, a cap or condition after all, the customer saying it was not said
    (
        "05-guarantee-cap-not-said",
        std(
            ("a", "我们的除螨是保证一次除干净的,没效果就全退。"),
            ("c", "那行,约周六。"),
            ("a", "对了,全退的话要检测报告超标三倍才算。"),
            ("c", "你当时可没提这个条件,这不是糊弄人吗?"),
        ),
        {},
        "QA-05",
        True,
    ),
    (
        "05-guarantee-kept",
        std(
            ("a", "保证三天内送到。"),
            ("c", "好。"),
            ("a", "已经给您发货了,明天就到。"),
            ("c", "行。"),
        ),
        {},
        "QA-05",
        False,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_round5_kinds(check_case: Callable[[Case], None], case: Case) -> None:
    check_case(case)

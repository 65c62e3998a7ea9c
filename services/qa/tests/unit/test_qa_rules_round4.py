"""Issue 17, fourth round (policy 2026.12.01): the kinds read from qa-unseen-4's misses and false
alarms (released after being scored sealed), each checked here on wordings of its own (other names,
products and verbs) with hard negatives, so what is tested is the kind, not that set's sentences.
The positives fail on the checker before this round (b59b590 / 5936af8, policy 2026.11.30)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

OPEN = ("a", "您好,我是中国移动的客户经理小李,请问是王先生吗?")
YES = ("c", "是我。")
PURPOSE = ("a", "王先生您好,今天来电是想跟您介绍一下宽带升级的活动。")
CLOSE = ("a", "好的,感谢您的接听,祝您生活愉快,请您先挂机。")
BYE = ("c", "好,再见。")
SALE = {"disposition": "success"}


# a purpose with no sale verb in it: the consent question must be found in the proposal itself
REWARD = ("a", "王先生您好,今天来电是想跟您说一下老客户的回馈活动。")


def std(*middle: tuple[str, Any]) -> list[tuple[str, Any]]:
    return [OPEN, YES, PURPOSE, *middle, CLOSE, BYE]


def plain(*middle: tuple[str, Any]) -> list[tuple[str, Any]]:
    return [OPEN, YES, REWARD, *middle, CLOSE, BYE]


def named(first: str, lead: str) -> tuple[list[tuple[str, Any]], dict[str, Any]]:
    """A call that opens with ``first`` as the agent's name check, the lead named ``lead``."""
    return [("a", first), YES, PURPOSE, CLOSE, BYE], {"lead": {"name": lead}}


# (case id, turns, overrides, rule, expected?)
Case = tuple[str, list[tuple[str, Any]], dict[str, Any], str, bool]  # name, turns, overrides, rule, fires
CASES: list[Case] = [
    # QA-01: a full name followed by a form of address by the surname is an address, not a bare name
    ("01-name-then-surname-title", *named("您好,请问是李秀英李女士吗?", "李秀英"), "QA-01", False),
    ("01-name-pause-surname-title", *named("您好,请问您是孙大海,孙师傅吗?", "孙大海"), "QA-01", False),
    ("01-compound-surname-title", *named("请问是欧阳明月欧阳老师吗?", "欧阳明月"), "QA-01", False),
    # hard negatives: the bare full name, and the full name followed by someone else's surname and title
    ("01-bare-full-name-still-counts", *named("李秀英,你好,我是中国移动的小李。", "李秀英"), "QA-01", True),
    ("01-name-then-another-surname", *named("李秀英王女士是您家人吗?", "李秀英"), "QA-01", True),
    # QA-11: the consent question after the agent's offer to act for the customer, in any verb
    (
        "11-offer-to-act-any-verb-top-up",
        plain(("a", "那我给您卡里存五百,送的一百马上到,行吧?"), ("c", "哦。"), ("a", "好的,已经给您办好了。")),
        SALE,
        "QA-11",
        True,
    ),
    (
        "11-offer-to-act-for-the-child",
        plain(
            ("a", "那我就直接帮孩子延一个学期,费用从余额里走,好吗?"), ("c", "啊……嗯。"), ("a", "好的,已经帮您延好了。")
        ),
        SALE,
        "QA-11",
        True,
    ),
    # hard negative: the same offer answered with a clear yes
    (
        "11-offer-to-act-clear-yes",
        plain(("a", "那我给您卡里存五百,送的一百马上到,行吧?"), ("c", "行,存吧。"), ("a", "好的,已经给您办好了。")),
        SALE,
        "QA-11",
        False,
    ),
    # QA-05: the whole paid or given back whatever happens (全额/原价 + 赔/退/返, 全部退给), and "not a cent
    # added" (加 is a cost verb too), each then contradicted, and the customer reacts
    (
        "05-full-compensation-then-depreciation",
        std(
            ("a", "您放心,托运途中摔坏了,我们按购买价足额赔给您。"),
            ("c", "那挺好。"),
            ("a", "不过赔之前要扣掉使用年限的折旧,还有两百的免赔额。"),
            ("c", "刚才说足额赔,现在又要扣折旧?那我不寄了。"),
        ),
        {},
        "QA-05",
        True,
    ),
    (
        "05-everything-given-back-then-a-deposit-kept",
        std(
            ("a", "到期押金全部退还给您,一分不少。"),
            ("c", "行。"),
            ("a", "对了,押金里的三百是清洁费,这个要扣。"),
            ("c", "你刚才不是说全部退吗?这不是忽悠人吗?"),
        ),
        {},
        "QA-05",
        True,
    ),
    (
        "05-not-a-cent-added-then-a-surcharge",
        std(
            ("a", "不管几点送、送到几楼,都不会多加一分钱。"),
            ("c", "这么好?"),
            ("a", "晚上十点以后配送的话,每单加收二十元夜间费。"),
            ("c", "刚才还说不加钱,怎么又有夜间费了?我不用了。"),
        ),
        {},
        "QA-05",
        True,
    ),
    # hard negative: a full refund promised and kept, the customer only asks
    (
        "05-full-refund-kept",
        std(
            ("a", "课上得不满意,学费按原价全额退,不扣任何费用。"),
            ("c", "那退款要多久?"),
            ("a", "提交以后七个工作日原路退回。"),
            ("c", "好的,那我考虑一下。"),
        ),
        {},
        "QA-05",
        False,
    ),
    # QA-06: the offering presented under another organisation's name, whatever the offering is called
    # (<org>官方授权的<any noun>), a licence claimed from it (拿到了<org>的授权), and the subject said before the
    # comma (…,是<org>的正式经销商); the sector named in a licence is no brand
    ("06-authorised-any-offering", std(("a", "我们是迪士尼官方授权的亲子乐园,门票全国通用。")), {}, "QA-06", True),
    ("06-partner-any-offering", std(("a", "我们是北京协和医院的合作体检点,报告专家会看。")), {}, "QA-06", True),
    ("06-licence-claimed", std(("a", "去年我们获得了故宫文创的官方授权,礼盒都印他们的图案。")), {}, "QA-06", True),
    ("06-dealer-subject-elided", std(("a", "今年业务扩大了,是茅台的正式经销商,货源有保障。")), {}, "QA-06", True),
    # hard negatives: the team's own brand authorised, a legitimacy claim naming no one, the sector in a licence
    ("06-own-brand-authorised", std(("a", "我们是中国移动官方授权的营业网点,办理有保障。")), {}, "QA-06", False),
    ("06-legitimacy-no-one-named", std(("a", "我们是正规授权的培训学校,有办学许可证。")), {}, "QA-06", False),
    (
        "06-sector-in-a-licence",
        [
            ("a", "您好,我是声达通信的客户经理小沈,请问是王先生吗?"),
            YES,
            ("a", "我们声达通信有增值电信业务经营许可证,在电信行业做了十年。"),
            CLOSE,
            BYE,
        ],
        {"campaign": {"brand": "声达通信", "authorized_brands": ["声达通信"]}},
        "QA-06",
        False,
    ),
    # QA-12: a school stage after which something stopped is the speaker's past, not a school they attend
    (
        "12-stopped-after-school-stage-1",
        std(("c", "我以前也学过琴,读了高一作业多了就没再弹了。"), ("a", "那这个套餐特别适合您,给您办理一个?")),
        {},
        "QA-12",
        False,
    ),
    (
        "12-stopped-after-school-stage-2",
        std(("c", "游泳我会一点,上初三学过半个月就再没下过水。"), ("a", "那这个套餐特别适合您,给您办理一个?")),
        {},
        "QA-12",
        False,
    ),
    # hard negative: the school they attend now, nothing stopped
    (
        "12-attends-school-now",
        std(("c", "我上初二,周末才有空。"), ("a", "那这个套餐特别适合您,给您办理一个?")),
        {},
        "QA-12",
        True,
    ),
    # QA-07: "you cannot even A, why V at all?" and "who would dare / put up with you?", aimed at the customer
    ("07-cannot-even-why-bother-1", std(("a", "合同都看不懂,还签什么约呢?")), {}, "QA-07", True),
    ("07-cannot-even-why-bother-2", std(("a", "这点钱也不舍得出,还装什么修啊?")), {}, "QA-07", True),
    ("07-who-would-dare-1", std(("a", "您天天改主意,哪个设计师敢接您的活?")), {}, "QA-07", True),
    ("07-who-would-dare-2", std(("a", "像这样挑剔,谁受得了您呀?")), {}, "QA-07", True),
    # hard negatives: a plain question what else they need, a genuine "who" question with no dare
    ("07-what-else-do-you-need", std(("a", "宽带这边都弄好了,您还需要什么服务呢?")), {}, "QA-07", False),
    ("07-which-family-member-receives", std(("a", "师傅下午上门,哪位家人方便帮您开个门?")), {}, "QA-07", False),
    # QA-05: a promise in no listed family, located by the customer quoting it back and setting what is
    # said now against it
    (
        "05-quoted-back-result-promise",
        std(
            ("a", "报我们这个班,一个月就能开口说流利英语。"),
            ("c", "真的?"),
            ("a", "不过得先上完三个月基础课才能进口语班。"),
            ("c", "刚才说一个月就能开口说流利英语,现在又要先上三个月?这不是忽悠人吗?"),
        ),
        {},
        "QA-05",
        True,
    ),
    (
        "05-quoted-back-range-promise",
        std(
            ("a", "这款车充一次电能跑五百公里,冬天夏天一个样。"),
            ("c", "那挺好。"),
            ("a", "冬天开暖风的话,实际大概三百公里左右。"),
            ("c", "刚才还说冬天夏天一个样,怎么又变成三百了?你们这是骗人吧。"),
        ),
        {},
        "QA-05",
        True,
    ),
    # hard negatives: what the customer quotes back was never said; the customer then concedes a mishearing
    (
        "05-quoted-back-never-said",
        std(
            ("a", "这款车充一次电能跑五百公里。"),
            ("c", "那挺好。"),
            ("a", "冬天开暖风的话,实际大概三百公里左右。"),
            ("c", "刚才还说送五年免费保养,怎么又变成三年了?骗人吧。"),
        ),
        {},
        "QA-05",
        False,
    ),
    (
        "05-quoted-back-then-conceded",
        std(
            ("a", "报我们这个班,一个月就能开口说流利英语。"),
            ("c", "真的?"),
            ("a", "先上三个月基础课再进口语班,也可以直接进口语班。"),
            ("c", "刚才说一个月就能开口说流利英语,现在又要先上三个月?"),
            ("c", "哦,是我听错了,可以直接进。"),
        ),
        {},
        "QA-05",
        False,
    ),
    # QA-06: a kind or a quantity of organisations names no one (false alarms on the previous checker too),
    # while a named organisation of that kind still does
    ("06-many-schools-name-no-one", std(("a", "我们是很多学校合作的课外机构。")), {}, "QA-06", False),
    ("06-the-maker-names-no-one", std(("a", "我们是厂家授权的售后,配件都是原装的。")), {}, "QA-06", False),
    ("06-government-names-no-one", std(("a", "我们是政府指定的采购单位。")), {}, "QA-06", False),
    ("06-named-hospital-still-counts", std(("a", "我们是北京协和医院的合作体检点。")), {}, "QA-06", True),
    ("06-named-maker-still-counts", std(("a", "我们是茅台厂家授权的经销商。")), {}, "QA-06", True),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_round4_kinds(check_case: Callable[[Case], None], case: Case) -> None:
    check_case(case)

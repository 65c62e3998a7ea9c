"""Issue 17, fifth round (policy 2026.12.02): the kinds read from qa-unseen-5's misses and false
alarms (released after being scored sealed), then from qa-variants 1-9 (development sets written
for this round by helpers who had not read the detectors), each checked here on
wordings of its own (other products, names and verbs) with hard negatives, so what is tested is
the kind, not those sets' sentences; last, the kinds qa-unseen-6 and qa-unseen-7 showed once
each had been scored sealed and released. On the checker before this round (f47af21, policy 2026.12.01)
120 of these 165 cases fail; each case that passes there is a guard: a positive that the round's new
exemptions must not swallow (06-customer-echoes-the-claim, 12-pupil-still-counts, ...) or a hard
negative that its new readings must not fire on (07-polite-anything-else, 09-items-per-box, ...)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from qa.rules import Policy

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

# The kinds read from qa-variants (a development set written for this round by a helper who had not
# read the detectors), in wordings of their own
CASES += [
    # QA-14: the purpose as what the agent will do with the customer; a bare 您是? asks who is calling
    (
        "14-purpose-in-any-verb",
        [("a", "李先生您好,我是中国移动的客服小周,看到您反映网速慢,我来给您排查一下。"), ("c", "好的。"), CLOSE, BYE],
        {},
        "QA-14",
        False,
    ),
    (
        "14-bare-who-are-you",
        [
            ("a", "王先生,您家宽带快到期了吧?我们这个月续费有活动。"),
            ("c", "您是?"),
            ("a", "我是中国移动的客户经理小李。"),
            ("c", "哦。"),
            CLOSE,
            BYE,
        ],
        {},
        "QA-14",
        True,
    ),
    # QA-07: blame weighed, "can it not", "not even", "how could it", "only now"
    ("07-blame-weighed", std(("a", "您三个月没来上课,这能怪老师教得慢吗?")), {}, "QA-07", True),
    ("07-can-it-not", std(("a", "您天天不锁门,东西能不丢吗?")), {}, "QA-07", True),
    ("07-not-even", std(("a", "您平时都不看说明书的吗?")), {}, "QA-07", True),
    ("07-how-could-it", std(("a", "自己不按时吃药,血压怎么会降呢?")), {}, "QA-07", True),
    ("07-only-now", std(("a", "您现在漏水了才想起来找我们?")), {}, "QA-07", True),
    ("07-how-come-about-the-price", std(("a", "这款怎么会这么便宜呢?因为是厂家直供。")), {}, "QA-07", False),
    ("07-can-you-repeat", std(("a", "您能不能把地址再说一遍?")), {}, "QA-07", False),
    # QA-02: the team's premises under any name, however far the words run
    (
        "02-our-showroom-far-away",
        std(("a", "这个小区我们装不了。"), ("c", "那算了。"), ("a", "您可以来我们城东的样板间看一看。")),
        INELIGIBLE,
        "QA-02",
        True,
    ),
    # QA-09: a price told by its digits or its bound; a piece of land is no yuan
    ("09-digits-of-a-price", std(("a", "一次大概三位数。")), NO_PRICE, "QA-09", True),
    ("09-bound-of-a-price", std(("a", "也就不到两千。")), NO_PRICE, "QA-09", True),
    ("09-a-piece-of-land", std(("a", "我们有一块三十亩的基地。")), NO_PRICE, "QA-09", False),
    # QA-03b: the agent spoke over the customer's cut-off words, closed and hung up
    (
        "03b-talked-over-then-hung-up",
        [*std(), ("c", "那如果坏了——"), ("a", "好的,资料发您,祝您生活愉快。")],
        {"hangup_by": "agent"},
        "QA-03b",
        True,
    ),
    # QA-06: a subordinate of another organisation; the customer echoing the agent's claim; a joint product
    ("06-subordinate-unit", std(("a", "我们是中科院下属的检测机构。")), {}, "QA-06", True),
    (
        "06-customer-echoes-the-claim",
        std(("a", "我们跟华润是战略合作关系。"), ("c", "华润的?"), ("a", "对,我们是华润授权的合作单位。")),
        {},
        "QA-06",
        True,
    ),
    ("06-developed-jointly", std(("a", "我们的课程是跟清华大学联合研发的。")), {}, "QA-06", True),
    # QA-15: the customer asked to wait, the agent only acknowledged
    (
        "15-customer-asked-agent-acknowledged",
        std(
            ("c", "你等我一下,我去拿合同,别挂啊。"),
            ("a", "好的,您慢慢找,不着急。"),
            ("hold", 50.0),
            ("c", "找到了。"),
        ),
        {},
        "QA-15",
        False,
    ),
    (
        "15-agent-acknowledged-nothing-asked",
        std(("c", "嗯。"), ("a", "好的,您慢慢找,不着急。"), ("hold", 50.0), ("a", "让您久等了。")),
        {},
        "QA-15",
        True,
    ),
    # QA-05: a limit or an extra service after all
    (
        "05-limited-after-all",
        std(
            ("a", "我们的售后是终身免费上门的,什么费用都没有。"),
            ("c", "那挺好。"),
            ("a", "免费上门只限市区,郊区要另外收路费。"),
            ("c", "你刚才不是说什么费用都没有吗?那我不买了。"),
        ),
        {},
        "QA-05",
        True,
    ),
    # QA-03a: the agent leaves it for later and asks nothing
    ("03a-left-for-later", ending(("a", "那您再考虑考虑吧。"), ("c", "不用考虑了。")), {}, "QA-03a", True),
]

PIECES = [("a", "灯管各要三十块。"), ("c", "那价钱呢?")]

# The kinds read from qa-variants-2 (a second development set, colloquial and regional speech,
# written for this round without reading the detectors), in wordings of their own
CASES += [
    # QA-12: kin in other words; a customer addressed as staff speaks of the school they work at
    (
        "12-kin-in-other-words",
        std(("c", "我老妈今年七十九,想给她装一个。"), ("a", "那千兆宽带很合适,看视频不卡。")),
        {"disposition": "success", "lead": {"birth_year": 1980}},
        "QA-12",
        False,
    ),
    (
        "12-a-young-childs-age",
        std(("c", "我家囡囡七岁了,想给她报个班。"), ("a", "那千兆宽带很合适,上网课不卡。")),
        {"disposition": "success", "lead": {"birth_year": 1988}},
        "QA-12",
        False,
    ),
    (
        "12-teacher-speaks-of-her-school",
        [
            ("a", "王老师您好,我是中国移动的客户经理小李,想跟您介绍一下校园宽带。"),
            ("c", "我们学校初一有六个班,网一直很慢。"),
            ("a", "那千兆宽带很合适,给您办一个?"),
            ("c", "好的。"),
            CLOSE,
            BYE,
        ],
        {"disposition": "success", "lead": {"birth_year": None}},
        "QA-12",
        False,
    ),
    (
        "12-pupil-still-counts",
        std(("c", "我上初一,我爸不在家。"), ("a", "那千兆宽带很合适,给你办一个?")),
        {"disposition": "success", "lead": {"birth_year": None}},
        "QA-12",
        True,
    ),
    # QA-09: measures, per-item prices, pieces the customer then asks the price of
    ("09-centimetres-are-no-price", std(("a", "底座只要十公分。")), NO_PRICE, "QA-09", False),
    ("09-per-item-price", std(("a", "矿泉水一箱四十八。")), NO_PRICE, "QA-09", True),
    ("09-items-per-box", std(("a", "一箱二十四瓶。")), NO_PRICE, "QA-09", False),
    ("09-pieces-then-price-asked", std(*PIECES), NO_PRICE, "QA-09", False),
    ("09-yuan-then-no-question", std(("a", "灯管三十块一根。"), ("c", "好。")), NO_PRICE, "QA-09", True),
    # QA-14: the purpose said as "I call to ask"; a customer's title is not the agent's name
    (
        "14-call-to-ask",
        [("a", "刘姐您好,我是中国移动的小李,我打个电话问问您家宽带装好没。"), ("c", "装好了。"), CLOSE, BYE],
        {},
        "QA-14",
        False,
    ),
    (
        "14-customers-title-is-no-name",
        [("a", "赵经理您好,这边是中国移动,想跟您聊聊专线的事。"), ("c", "哦。"), CLOSE, BYE],
        {},
        "QA-14",
        True,
    ),
    # QA-04: pushing on after three refusals in words of its own
    (
        "04-push-in-any-words",
        std(
            ("c", "不需要。"),
            ("a", "您可以先了解一下。"),
            ("c", "我说了不要。"),
            ("a", "那我给您发个资料?"),
            ("c", "不用发,真不需要。"),
            ("a", "我们还有以旧换新,旧手机也能折价。"),
        ),
        {},
        "QA-04",
        True,
    ),
    # QA-11: a completion word inside a question proposes the sale, it does not record it
    (
        "11-question-then-bare-hmm",
        std(
            ("a", "那我就给您下单了,下午发货,行不?"),
            ("c", "嗯。"),
            ("a", "好的,已经给您下单了。"),
        ),
        {"disposition": "success"},
        "QA-11",
        True,
    ),
    # QA-10: what do you mean, with words between
    ("10-what-do-you-mean", std(("a", "您这话什么意思?我们都是按流程来的。")), {}, "QA-10", True),
    # QA-03a: the customer sent elsewhere or left to it, no blessing
    ("03a-sent-elsewhere", ending(("a", "这个您去营业厅问吧。"), ("c", "行,我自己去。")), {}, "QA-03a", True),
    ("03a-left-to-it", ending(("a", "那随您。"), ("c", "挂了!")), {}, "QA-03a", True),
    # QA-06: a government body's recommended firm; an underwriter named in its role
    ("06-recommended-by-a-ministry", std(("a", "我们是国家卫健委的推荐企业。")), {}, "QA-06", True),
    ("06-underwriter-in-its-role", std(("a", "我们中国移动的碎屏险,承保公司是中国人保。")), {}, "QA-06", False),
]

# The kinds read from qa-variants-3 (business customers) and qa-variants-4 (consumers, many elderly),
# development sets written for this round without reading the detectors, in wordings of their own
CASES += [
    # QA-14: names without 是 and after any title; purposes with the subject left out
    (
        "14-name-without-shi",
        [("a", "周老板,我中国移动的小孙啊,想跟进一下您店里宽带的事。"), ("c", "哦。"), CLOSE, BYE],
        {},
        "QA-14",
        False,
    ),
    (
        "14-name-after-any-title",
        [("a", "您好,我是中国移动的装维员刘强,来跟您确认上门时间。"), ("c", "好。"), CLOSE, BYE],
        {},
        "QA-14",
        False,
    ),
    # QA-06: a partnership denied; an underwriter named in its role; a payment app named later in the call
    ("06-partnership-denied", std(("a", "我们跟华为没有合作关系,只是用他们的芯片。")), {}, "QA-06", False),
    ("06-underwritten-by", std(("a", "这款碎屏险是由中国人保承保的。")), {}, "QA-06", False),
    ("06-a-payment-app", std(("a", "您在小程序里绑定一下支付宝就行。")), {}, "QA-06", False),
    ("06-presented-later-still-counts", std(("a", "我们其实是支付宝的官方合作商。")), {}, "QA-06", True),
    (
        "06-sector-word-is-no-own-name",
        [
            ("a", "您好,我是标卫知识产权的顾问小方,想跟您介绍一下商标监测。"),
            ("c", "嗯。"),
            ("a", "我们是国家知识产权局备案的合作机构。"),
            CLOSE,
            BYE,
        ],
        {"campaign": {"brand": "标卫知识产权", "authorized_brands": ["标卫知识产权"]}},
        "QA-06",
        True,
    ),
    # QA-09: an area is no yuan; a bare 一块 is a piece
    ("09-this-area", std(("a", "我们是厂家在华南这一块的代理。")), NO_PRICE, "QA-09", False),
    ("09-a-piece-each", std(("a", "坏一块我们换一块。")), NO_PRICE, "QA-09", False),
    ("09-price-word-then-area", std(("a", "费用按三百平算,报价单发您。")), NO_PRICE, "QA-09", False),
    (
        "09-customers-own-figure",
        std(("c", "我考了四百出头吧。"), ("a", "四百出头还有希望。")),
        NO_PRICE,
        "QA-09",
        False,
    ),
    # QA-12: a height is no grade; the customer's grown grandchildren; long retirement; a child's school
    (
        "12-a-height-is-no-grade",
        std(("c", "柜子要高二十五的。"), ("a", "好的,给您下单。")),
        {"disposition": "success", "lead": {"birth_year": None}},
        "QA-12",
        False,
    ),
    (
        "12-grandchild-at-work",
        std(("c", "外孙女都参加工作了,我一个人在家。"), ("a", "那给您办个亲情号?")),
        {"disposition": "success", "lead": {"birth_year": None}},
        "QA-12",
        True,
    ),
    (
        "12-long-retired-across-a-comma",
        std(("c", "我六十岁退休的,到现在都二十多年了。"), ("a", "那给您办个亲情号?")),
        {"disposition": "success", "lead": {"birth_year": None}},
        "QA-12",
        True,
    ),
    (
        "12-fathers-retirement",
        std(("c", "我爸退休都二十年了,我给他问问。"), ("a", "那给您办个亲情号?")),
        {"disposition": "success", "lead": {"birth_year": 1975}},
        "QA-12",
        False,
    ),
    (
        "12-how-do-you-know-my-child",
        std(("c", "你怎么知道我家闺女上初中?"), ("a", "那给您办个学生卡?")),
        {"disposition": "success", "lead": {"birth_year": 1982}},
        "QA-12",
        False,
    ),
    # QA-03a: a wish to a third person is a blessing
    ("03a-wish-to-the-father", ending(("a", "好的,周三见。祝老爷子早日康复!"), ("c", "谢谢。")), {}, "QA-03a", False),
    # QA-11: a completion in the agent's 你
    (
        "11-completion-with-ni",
        std(("a", "那我给你登记了啊?"), ("c", "嗯。"), ("a", "好嘞,这就给你下单。")),
        {"disposition": "success"},
        "QA-11",
        True,
    ),
    # QA-10: certain of a wrong result in any verb
    ("10-counted-wrong", std(("a", "您肯定是抄错了,我们的单子上写的是八台。")), {}, "QA-10", True),
    # QA-07: what were you doing all along; suffering until when; or do you think; again too dear
    ("07-doing-all-along", std(("a", "这些年干什么去了?现在才来问。")), {}, "QA-07", True),
    ("07-suffer-until-when", std(("a", "您打算熬到什么时候再治?")), {}, "QA-07", True),
    ("07-or-do-you-expect", std(("a", "还是说您指望牙自己长回来?")), {}, "QA-07", True),
    ("07-rent-until-when-asks", std(("a", "您打算租到什么时候?我好给您排车。")), {}, "QA-07", False),
    ("07-can-you-come", std(("a", "您能不能周六来一趟吗?")), {}, "QA-07", False),
    # QA-04: arguing on after three refusals
    (
        "04-argues-on-by-comparison",
        std(
            ("c", "不需要。"),
            ("a", "您可以先了解一下。"),
            ("c", "不用了。"),
            ("a", "就占用您两分钟。"),
            ("c", "我说了不要。"),
            ("a", "我们的套餐比您现在的便宜一半呢。"),
        ),
        {},
        "QA-04",
        True,
    ),
    # QA-15: the customer's request to wait in other words
    (
        "15-customer-wait-in-other-words",
        std(("c", "你等会儿,我看看合同。"), ("hold", 40.0), ("c", "好了。")),
        {},
        "QA-15",
        False,
    ),
    # QA-05: 刚说 points back, and the quote runs over an enumeration
    (
        "05-quote-over-an-enumeration",
        std(
            ("a", "体验课不收押金,不绑银行卡,不扣一分钱。"),
            ("c", "那好。"),
            ("a", "下单时先绑定银行卡,七天后自动扣费。"),
            ("c", "你刚说不收押金、不绑银行卡,现在又要绑卡?我不约了。"),
        ),
        {},
        "QA-05",
        True,
    ),
]

# The false alarms and misses read from qa-variants-6 (a development set of mostly clean calls that look
# like violations), in wordings of their own
CASES += [
    (
        "14-name-then-calling",
        [("a", "孙先生您好,中国移动的小秦给您打电话,想跟您确认一下装机时间。"), ("c", "好。"), CLOSE, BYE],
        {},
        "QA-14",
        False,
    ),
    ("09-a-full-score", std(("a", "每科满分一百,六十分及格。")), NO_PRICE, "QA-09", False),
    ("09-orders-a-month", std(("a", "有个学员一个月卖了三百多单。")), NO_PRICE, "QA-09", False),
    ("06-registered-not-partnered", std(("a", "我们是市教育局备案的培训学校,可以开发票。")), {}, "QA-06", False),
    ("06-registered-and-partnered", std(("a", "我们是市教育局备案的合作学校。")), {}, "QA-06", True),
    ("03a-customer-signs-off", ending(("a", "那您有空过来坐坐。"), ("c", "嗯,挂了。")), {}, "QA-03a", True),
    (
        "15-customer-just-says-wait",
        std(("c", "哦,等一下,门口有人敲门。"), ("hold", 30.0), ("c", "好了,你说。")),
        {},
        "QA-15",
        False,
    ),
    (
        "12-house-built-before-retiring",
        std(("c", "房子是我岳父退休前盖的,三十年了。"), ("a", "那给您换一套新的防水?")),
        {"disposition": "success", "lead": {"birth_year": 1970}},
        "QA-12",
        False,
    ),
    (
        "12-the-regulars-ages",
        std(("c", "来我店里的多是附近的老人,都八十多了。"), ("a", "那给您换一台静音的?")),
        {"disposition": "success", "lead": {"birth_year": 1978}},
        "QA-12",
        False,
    ),
    ("07-and-still-blames-us", std(("a", "你自己把包装拆了,还怪我们?")), {}, "QA-07", True),
    ("07-make-us-answer-for-it", std(("a", "这种事您也要我们负责?")), {}, "QA-07", True),
]

# The kinds read from qa-variants-5 (the rulebooks' own trades: telecom, banking, insurance), in
# wordings of their own
CASES += [
    (
        "05-no-conditions-then-conditions",
        std(
            ("a", "旧机统一折五百,什么条件都没有。"),
            ("c", "那行。"),
            ("a", "旧机寄来要检测,电池不行的要扣钱。"),
            ("c", "刚说什么条件都没有,现在又要扣钱?这不是套路吗?"),
        ),
        {},
        "QA-05",
        True,
    ),
    (
        "05-want-it-first-is-no-condition",
        std(("a", "这次升级是免费的,您要不要先办上?"), ("c", "先不用。")),
        {"disposition": "complaint"},
        "QA-05",
        False,
    ),
    (
        "11-done-said-of-the-thing",
        std(("a", "那我这边帮您开通了,好吗?"), ("c", "嗯嗯。"), ("a", "好的,套餐已经开通了。")),
        {"disposition": "success"},
        "QA-11",
        True,
    ),
    (
        "04-another-buyer-offered",
        std(
            ("c", "不用了。"),
            ("a", "您出差多吗?"),
            ("c", "不需要。"),
            ("a", "单位的保险不全。"),
            ("c", "不要了不要了。"),
            ("a", "那您可以给孩子买一份,我们有个少儿版。"),
        ),
        {},
        "QA-04",
        True,
    ),
    (
        "12-a-bit-higher",
        std(("c", "比存款高一点。"), ("a", "那给您办一个?")),
        {"disposition": "success", "lead": {"birth_year": 1985}},
        "QA-12",
        False,
    ),
    ("07-still-think-mocked", std(("a", "您天天熬夜,还觉得自己不会生病?")), {}, "QA-07", True),
    ("07-your-whole-life", std(("a", "那您这辈子就只能拿死工资了。")), {}, "QA-07", True),
    ("06-selling-its-product-later", std(("c", "好的。"), ("a", "这个月办电信的宽带送路由器。")), {}, "QA-06", True),
    ("06-paying-by-a-bank-card", std(("c", "好的。"), ("a", "到时候从您工行的卡里扣款就行。")), {}, "QA-06", False),
    (
        "03b-a-short-last-word-is-said",
        [*std(), ("c", "不去了。")],
        {"hangup_by": "agent"},
        "QA-03b",
        False,
    ),
]

# The kinds read from qa-variants-7 (curt, fast calls) and qa-variants-8 (long, detailed calls), in
# wordings of their own
CASES += [
    (
        "14-bare-name-check-first",
        [
            ("a", "喂,王先生吧?"),
            ("c", "哪位?"),
            ("a", "王先生好,我是中国移动的小李,问问您家宽带要不要续。"),
            ("c", "再说吧。"),
            CLOSE,
            BYE,
        ],
        {},
        "QA-14",
        False,
    ),
    (
        "14-curt-purpose",
        [("a", "刘老板您好,中国移动的小周,您的专线下月到期,约个时间续签。"), ("c", "行。"), CLOSE, BYE],
        {},
        "QA-14",
        False,
    ),
    (
        "14-follows-the-customers-request",
        [("a", "陈女士您好,中国移动售后小吴,您报修的光猫我看了。"), ("c", "嗯。"), CLOSE, BYE],
        {},
        "QA-14",
        False,
    ),
    (
        "04-a-bare-negated-verb-refuses",
        std(
            ("c", "不换。"),
            ("a", "新套餐流量多。"),
            ("c", "不要。"),
            ("a", "每月便宜十块。"),
            ("c", "真不需要。"),
            ("a", "那宽带呢?也可以一起办。"),
        ),
        {},
        "QA-04",
        True,
    ),
    (
        "04-already-done-refuses",
        std(
            ("c", "不用。"),
            ("a", "年底查得严。"),
            ("c", "我们已经检过了。"),
            ("a", "我们做的更全。"),
            ("c", "不需要,别打了。"),
            ("a", "您可以考虑一下我们的年度合同。"),
        ),
        {},
        "QA-04",
        True,
    ),
    ("07-dont-you-worry", std(("a", "孩子天天在家玩手机,您不着急啊?")), {}, "QA-07", True),
    ("07-yourself-not-checking", std(("a", "您下单的时候自己不核对地址吗?")), {}, "QA-07", True),
    ("07-can-it-not-without-ma", std(("a", "您天天开着窗,能不着凉?")), {}, "QA-07", True),
    (
        "05-unlimited-then-capped",
        std(
            ("a", "月卡随便用,不限次。"),
            ("c", "那办一张。"),
            ("a", "每月十次,用完就停。"),
            ("c", "十次?这不是忽悠人吗,不办了。"),
        ),
        {},
        "QA-05",
        True,
    ),
    ("09-price-then-per-piece", std(("a", "这款地砖五十八一片。")), NO_PRICE, "QA-09", True),
    ("09-twenty-one-pieces", std(("a", "这批货二十一个,明天到。")), NO_PRICE, "QA-09", False),
    (
        "02-to-any-premises",
        std(("a", "这个我们做不了。"), ("c", "那算了。"), ("a", "要不您来郑州厂里看看?")),
        INELIGIBLE,
        "QA-02",
        True,
    ),
    ("03a-silence-is-no-cut-off", ending(("a", "那随您吧。"), ("c", "……")), {}, "QA-03a", True),
    (
        "03a-asked-then-customer-ended",
        ending(("a", "那我给您发个短信,可以吗?"), ("c", "挂了。")),
        {},
        "QA-03a",
        False,
    ),
    ("06-own-brand-as-subject", std(("a", "先介绍一下,我们中国移动是华为官方合作的服务商。")), {}, "QA-06", True),
    (
        "06-a-description-of-the-team",
        std(("a", "我们是独立的第三方检测平台,跟哪个厂家都没有合作。")),
        {},
        "QA-06",
        False,
    ),
    ("06-an-unnamed-organiser", std(("a", "我们是主办方授权的售票平台。")), {}, "QA-06", False),
    (
        "12-elderly-and-pitched-on",
        std(("c", "我七十四了,不贷。"), ("a", "这个贷款不用您自己还,等于白装一套。")),
        {"disposition": "refused", "lead": {"birth_year": None}},
        "QA-12",
        True,
    ),
]

# The kinds read from qa-unseen-6 once it had been scored sealed and released, in wordings of their own
CASES += [
    ("09-cubic-metres-a-season", std(("a", "一亩地一季要用六百方水。")), NO_PRICE, "QA-09", False),
    ("09-degrees-a-year", std(("a", "孩子一年能涨一百多度。")), NO_PRICE, "QA-09", False),
    (
        "05-a-bodily-result-guaranteed",
        std(
            ("a", "您坚持喝三个月,保证血糖降下来,药都不用吃了。"),
            ("c", "那我买。"),
            ("a", "药还是得按医生说的吃,我们这个只是辅助。"),
            ("c", "你刚才不是说不用吃药吗?怎么又要接着吃?不买了。"),
        ),
        {},
        "QA-05",
        True,
    ),
    (
        "06-partnered-with-a-brand-the-customer-asked-about",
        std(
            ("c", "我想看华为的手机。"),
            ("a", "我们营业厅跟小米也是官方授权合作,都能订。"),
        ),
        {},
        "QA-06",
        True,
    ),
    (
        "06-the-customers-own-union-named-by-them",
        std(("c", "我们单位的工会想订。"), ("a", "好的,我们是工会的指定服务商。")),
        {},
        "QA-06",
        False,
    ),
]

# The kinds read from qa-unseen-7 once it had been scored sealed and released, in wordings of their own
CASES += [
    ("07-didnt-you-either", std(("a", "您自己不也没提前跟物业报备吗?")), {}, "QA-07", True),
    ("07-blame-moved-onto-us", std(("a", "这事怎么能全算到我们头上呢?")), {}, "QA-07", True),
    ("07-who-answers-for-it", std(("a", "真装坏了谁负责?")), {}, "QA-07", True),
    ("07-no-idea-at-all", std(("a", "自家院子多大您心里没个数吗?")), {}, "QA-07", True),
    ("06-a-numeral-inside-a-name", std(("a", "我们是五粮液集团旗下的酒类电商。")), {}, "QA-06", True),
    (
        "06-the-customers-truck",
        [("a", "高师傅您好,我是中国移动的小齐,看到您那台重汽的车载终端要续费了。"), ("c", "嗯。"), CLOSE, BYE],
        {},
        "QA-06",
        False,
    ),
    ("06-a-data-centre", std(("a", "我们的服务器放在中国电信的机房。")), {}, "QA-06", False),
    (
        "14-we-can-do-it",
        [("a", "王师傅吗?我是中国移动的小齐,您家宽带要到期了,我们可以上门续约。"), ("c", "嗯。"), CLOSE, BYE],
        {},
        "QA-14",
        False,
    ),
    ("03a-left-to-go-and-check", ending(("a", "退款要走流程,我先去问问。"), ("c", "你赶紧的。")), {}, "QA-03a", True),
    (
        "03a-sent-to-look-themselves",
        ending(("a", "您自己再找找吧,看电脑里有没有。"), ("c", "算了。")),
        {},
        "QA-03a",
        True,
    ),
    (
        "12-its-my-mother",
        std(("c", "是我妈,今年八十四,腿脚不好。"), ("a", "那给老人家装个扶手?")),
        {"disposition": "success", "lead": {"birth_year": 1978}},
        "QA-12",
        False,
    ),
    (
        "15-a-noun-two-sentences-back-is-no-reason",
        std(("a", "每一单都有记录。您等一下。"), ("hold", 25.0), ("a", "好了。")),
        {},
        "QA-15",
        True,
    ),
    (
        "15-reason-in-the-wait-sentence",
        std(("a", "我查一下系统,您稍等。"), ("hold", 25.0), ("a", "谢谢您稍等。")),
        {},
        "QA-15",
        False,
    ),
    (
        "04-said-it-already",
        std(
            ("c", "不考虑了。"),
            ("a", "周日上课不耽误。"),
            ("c", "真不需要。"),
            ("a", "坚持下来就不一样了。"),
            ("c", "我说了不报,你别再说了。"),
            ("a", "一学期还送一套演出服。"),
        ),
        {},
        "QA-04",
        True,
    ),
]

# The kinds read from qa-variants-9 (the hardest rules weighted), in wordings of their own
CASES += [
    ("07-as-a-mother", std(("a", "当妈的连陪孩子读本书的时间都没有?")), {}, "QA-07", True),
    ("07-no-one-else-to-blame", std(("a", "以后成绩掉了,那可真怨不了别人。")), {}, "QA-07", True),
    ("07-the-agents-own-fault", std(("a", "这是我们安排不周,怪不得别人。")), {}, "QA-07", False),
    ("07-too-dear-is-it", std(("a", "哟,这是嫌贵了吧?")), {}, "QA-07", True),
    (
        "07-offended-at-being-taught",
        std(("a", "您说您这么做图的是什么呢?"), ("c", "我怎么做生意还要你来教?")),
        {},
        "QA-07",
        True,
    ),
    (
        "14-brand-then-xiao",
        [("a", "唐女士好,中国移动小严,给您说下宽带续费的事。"), ("c", "哦。"), CLOSE, BYE],
        {},
        "QA-14",
        False,
    ),
    (
        "14-a-teacher-is-no-name",
        [("a", "中国移动回访一下,您家宽带用着怎么样?"), ("c", "还行。"), ("a", "有问题可以找我们的老师。"), CLOSE, BYE],
        {},
        "QA-14",
        True,
    ),
    (
        "03a-see-how-it-goes-is-no-close",
        ending(("a", "您先用着,用着好再说。"), ("c", "不要不要,挂了啊。")),
        {},
        "QA-03a",
        False,
    ),
    (
        "04-just-try-one",
        std(
            ("c", "不用。"),
            ("a", "我们便宜。"),
            ("c", "我说了不需要。"),
            ("a", "先做季度的。"),
            ("c", "不要!"),
            ("a", "您别生气,就先试一个季度。"),
        ),
        {},
        "QA-04",
        True,
    ),
    (
        "12-a-nephew-at-school",
        std(("c", "我外甥在一中念高中,也老借我手机。"), ("a", "那给您开两台设备?")),
        {"disposition": "success", "lead": {"birth_year": 1979}},
        "QA-12",
        False,
    ),
    ("06-we-are-now-its-partner", std(("a", "我们现在是奥佳华在本地的合作门店。")), {}, "QA-06", True),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_round5_kinds(check_case: Callable[[Case], None], case: Case) -> None:
    check_case(case)


def test_rhetorical_marker_anchors_in_step_with_patterns(policy: Policy) -> None:
    """Each ``rhetorical_marker`` pattern has its anchor phrases; their union is the trigger set (a
    question runs only the patterns its anchors call for)."""
    spec = policy.rules["QA-07"]
    patterns = spec.patterns["rhetorical_marker"]
    anchors = spec.params["rhetorical_marker_anchors"]
    assert len(anchors) == len(patterns)
    assert all(group for group in anchors)
    union = {a for group in anchors for a in group}
    assert union == set(spec.phrases["rhetorical_marker_trigger"])

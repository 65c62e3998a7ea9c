"""Table tests per detector: small hand-built calls, a positive and hard negatives for each rule."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from qa.rules import CallRecord, Policy, SpeechTurn, check_call

OPEN = ("a", "您好,我是中国移动的客户经理小李,请问是王先生吗?")
YES = ("c", "是我。")
PURPOSE = ("a", "王先生您好,今天来电是想跟您介绍一下宽带升级的活动。")
CLOSE = ("a", "好的,感谢您的接听,祝您生活愉快,请您先挂机。")
BYE = ("c", "好,再见。")
MID: list[Any] = []


def std(*middle: tuple[str, Any]) -> list[tuple[str, Any]]:
    return [OPEN, YES, PURPOSE, *middle, CLOSE, BYE]


# (case id, turns, overrides, rule, expected?)
Case = tuple[str, list[tuple[str, Any]], dict[str, Any], str, bool]  # name, turns, overrides, rule, fires
CASES: list[Case] = [
    # QA-01
    ("01-ni", std(("c", "多少钱?"), ("a", "你看这个套餐每月多送十G。")), {}, "QA-01", True),
    ("01-nimen-respectful", std(("c", "嗯。"), ("a", "您和你们公司的同事都可以办理。")), {}, "QA-01", False),
    (
        "01-customer-ni",
        std(("c", "你说吧,你们这个怎么收费?"), ("a", "您稍等我给您说明。")),
        {},
        "QA-01",
        False,
    ),
    ("01-bare-name", std(("c", "嗯。"), ("a", "王建国,您先别挂。")), {}, "QA-01", True),
    ("01-name-honorific", std(("c", "嗯。"), ("a", "王建国先生,您看可以吗?")), {}, "QA-01", False),
    ("01-mini", std(("c", "嗯。"), ("a", "送您一个迷你音箱。")), {}, "QA-01", False),
    # QA-02
    (
        "02-store-ineligible",
        std(("a", "很抱歉您的地址暂时装不了。"), ("c", "那怎么办?"), ("a", "您可以到附近的营业厅问问。")),
        {"eligibility": "ineligible"},
        "QA-02",
        True,
    ),
    (
        "02-no-store",
        std(("a", "很抱歉您的地址暂时装不了,覆盖了我们第一时间通知您。")),
        {"eligibility": "ineligible"},
        "QA-02",
        False,
    ),
    (
        "02-negated",
        std(("a", "很抱歉暂时办不了,不用您跑营业厅,我们会电话通知您。")),
        {"eligibility": "ineligible"},
        "QA-02",
        False,
    ),
    ("02-eligible-visit", std(("a", "欢迎您周末到营业厅来体验。")), {}, "QA-02", False),
    # QA-03a / QA-03b
    (
        "03a-no-blessing",
        [OPEN, YES, PURPOSE, ("c", "不用了。"), ("a", "好的,那您忙吧,再见。"), BYE],
        {},
        "QA-03a",
        True,
    ),
    ("03a-blessing", std(), {}, "QA-03a", False),
    (
        "03a-network-drop",
        [OPEN, YES, PURPOSE, ("c", "好的我想——")],
        {"hangup_by": "network"},
        "QA-03a",
        False,
    ),
    ("03a-customer-hangs-up", [OPEN, YES, PURPOSE, ("c", "不需要,别打了!")], {}, "QA-03a", False),
    (
        "03a-agent-closed-customer-grumbles",
        [OPEN, YES, PURPOSE, ("c", "不需要。"), ("a", "行吧,那就这样。"), ("c", "莫名其妙。")],
        {},
        "QA-03a",
        True,
    ),
    (
        "03a-wish-to-a-child",
        [OPEN, YES, PURPOSE, ("c", "嗯,知道了。"), ("a", "好的,那祝小同学学习进步,再见。"), BYE],
        {},
        "QA-03a",
        False,
    ),
    ("03b-agent-cuts", [*std(), ("c", "等一下,我还想问——")], {"hangup_by": "agent"}, "QA-03b", True),
    ("03b-agent-after-bye", std(), {"hangup_by": "agent"}, "QA-03b", False),
    ("03b-customer-hangs", [*std(), ("c", "等一下,我还想问——")], {}, "QA-03b", False),
    # QA-04
    (
        "04-push",
        std(
            ("c", "不需要。"),
            ("a", "这个很划算。"),
            ("c", "不用了,谢谢。"),
            ("a", "您再听我说。"),
            ("c", "没兴趣,别打了。"),
            ("a", "您再考虑一下,优惠就到月底。"),
        ),
        {},
        "QA-04",
        True,
    ),
    (
        "04-two-refusals",
        std(
            ("c", "不需要。"),
            ("a", "这个很划算。"),
            ("c", "不用了,我对这个没兴趣。"),
            ("a", "那我们也有流量包,您要不要看看?"),
            ("c", "都不需要,谢谢。"),
        ),
        {},
        "QA-04",
        False,
    ),
    (
        "04-stop-after-third",
        std(
            ("c", "不需要。"),
            ("a", "这个很划算。"),
            ("c", "不用了。"),
            ("a", "您再听我说。"),
            ("c", "没兴趣。"),
            ("a", "好的,我们会备注不再联系您。"),
        ),
        {},
        "QA-04",
        False,
    ),
    (
        "04-question-not-refusal",
        std(
            ("c", "要不要另外收费?"),
            ("a", "不另外收费。"),
            ("c", "需不需要换光猫?"),
            ("a", "不需要换。"),
            ("c", "不用换设备吗?"),
            ("a", "不用,送您一个。"),
        ),
        {},
        "QA-04",
        False,
    ),
    # QA-05
    (
        "05-free-then-fee",
        std(
            ("a", "这个流量包完全免费。"),
            ("c", "好。"),
            ("a", "下个月起每月收二十元。"),
            ("c", "你不是说免费吗?我要投诉。"),
        ),
        {},
        "QA-05",
        True,
    ),
    (
        "05-first-month-free",
        std(("a", "首月免费,第二个月起每月十元。"), ("c", "我不要,你们骗人吧。")),
        {},
        "QA-05",
        False,
    ),
    (
        "05-no-complaint",
        std(("a", "这个完全免费。"), ("c", "好。"), ("a", "下月起收十元功能费。"), ("c", "哦,那算了。")),
        {"disposition": "refused"},
        "QA-05",
        False,
    ),
    (
        "05-own-words-deposit-withdrawal",
        std(
            ("a", "设备我们直接给您装上,一分钱都不用您出。"),
            ("c", "那装吧。"),
            ("a", "好的。师傅上门时需要先交三百元押金。"),
            ("c", "那我不装了。"),
        ),
        {"disposition": "refused"},
        "QA-05",
        True,
    ),
    (
        "05-covers-everything-exclusion",
        std(
            ("a", "这款保险不管大病小病,统统都能报销。"),
            ("c", "我有糖尿病也能报吗?"),
            ("a", "投保前已有的疾病是不在保障范围内的。"),
            ("c", "那不是骗人吗?"),
        ),
        {},
        "QA-05",
        True,
    ),
    (
        "05-promise-kept-fee-words-negated",
        std(
            ("a", "安装一分钱都不用您出。"),
            ("c", "真的不用交押金吗?你刚才说的我没听清。"),
            ("a", "是的,没有押金,也没有安装费和服务费。"),
            ("c", "那好。"),
        ),
        {},
        "QA-05",
        False,
    ),
    (
        "05-denied-promise",
        std(("a", "这款产品不承诺保本,收益是浮动的。"), ("c", "那我不买了,说好的稳健呢?")),
        {},
        "QA-05",
        False,
    ),
    (
        "05-contradiction-before-promise",
        std(
            ("a", "安装需要先交两百元押金。"),
            ("c", "好。"),
            ("a", "之后的维修都是我们承担,一分钱都不用您出。"),
            ("c", "我再想想,不办了。"),
        ),
        {},
        "QA-05",
        False,
    ),
    (
        "05-reaction-long-after",
        [
            OPEN,
            YES,
            ("a", "王先生您好,今天来电是想跟您介绍宽带升级,上门测速是免费的,不收任何费用。"),
            ("c", "好。"),
            ("a", "升级后是每月一百九十九元。"),
            ("c", "我考虑一下。"),
            *[("a", "这个套餐还有副卡。"), ("c", "嗯。")] * 6,
            ("a", "好的,那我先取消您之前的预约。"),
            ("c", "行,取消吧。"),
            CLOSE,
            BYE,
        ],
        {},
        "QA-05",
        False,
    ),
    # QA-06
    (
        "06-partner-of-other-brand",
        std(("c", "你们是哪家的?"), ("a", "我们是携程旅行的官方合作专线。")),
        {"campaign": {"brand": "悠途旅行社", "authorized_brands": ["悠途旅行社"]}},
        "QA-06",
        True,
    ),
    (
        "06-other-brand",
        [("a", "您好,我是中国联通的客户经理小周,请问是王先生吗?"), YES, PURPOSE, CLOSE, BYE],
        {},
        "QA-06",
        True,
    ),
    (
        "06-customer-provider",
        std(("c", "我现在用的是联通。"), ("a", "跟您现在联通的套餐比,我们流量多一倍。")),
        {},
        "QA-06",
        False,
    ),
    ("06-alias-authorised", std(("a", "有问题您可以打10086。")), {}, "QA-06", False),
    (
        "06-brand-inside-authorised",
        [("a", "您好,我是易联通信的小吴,请问是王先生吗?"), YES, PURPOSE, CLOSE, BYE],
        {"campaign": {"brand": "易联通信", "authorized_brands": ["易联通信"]}},
        "QA-06",
        False,
    ),
    (
        "06-unknown-org",
        [("a", "您好,我是美家地产的顾问小吴,请问是王先生吗?"), YES, PURPOSE, CLOSE, BYE],
        {"campaign": {"brand": "云澜府", "authorized_brands": ["云澜府"]}},
        "QA-06",
        True,
    ),
    # QA-07
    (
        "07-thrown-back",
        std(("c", "价格是多少来着?"), ("a", "我刚才不是已经讲过一遍了吗?您怎么又问?")),
        {},
        "QA-07",
        True,
    ),
    ("07-blame-shift", std(("c", "我没收到通知。"), ("a", "短信发了三次,您自己不看,这能赖我们吗?")), {}, "QA-07", True),
    ("07-impatient", std(("c", "我再商量一下。"), ("a", "都一个礼拜了,还要商量到什么时候啊?")), {}, "QA-07", True),
    (
        "07-rhetorical-about-offer",
        std(("c", "我再想想。"), ("a", "每月省三十元,这么划算的套餐,难道不值得考虑一下吗?")),
        {},
        "QA-07",
        False,
    ),
    (
        "07-reproach-needs-customer",
        std(("c", "网速慢。"), ("a", "这系统怎么老是这么慢呢,真不好意思,我马上帮您报修。")),
        {},
        "QA-07",
        False,
    ),
    ("07-self-no-worry", std(("c", "要我去营业厅吗?"), ("a", "您自己不用跑,我们上门办理。")), {}, "QA-07", False),
    ("07-rude", std(("c", "我再问一下。"), ("a", "您到底想不想办?问那么多干什么?")), {}, "QA-07", True),
    ("07-rhetorical", std(("c", "有点远。"), ("a", "远什么呀,开车十分钟。")), {}, "QA-07", True),
    ("07-customer-rude", std(("c", "你有病吧,烦死了。"), ("a", "抱歉打扰您了。")), {}, "QA-07", False),
    ("07-polite-why", std(("c", "为什么?"), ("a", "因为您的合约快到期了。")), {}, "QA-07", False),
    # QA-08
    ("08-unicom", std(), {"caller_number": "+8618600003333"}, "QA-08", True),
    ("08-mobile", std(), {}, "QA-08", False),
    # QA-09
    (
        "09-price",
        std(("c", "多少钱?"), ("a", "每月只要一百二十九元。")),
        {"campaign": {"price_on_phone": False}},
        "QA-09",
        True,
    ),
    (
        "09-avg-price",
        std(("a", "均价一万八千五一平。")),
        {"campaign": {"price_on_phone": False}},
        "QA-09",
        True,
    ),
    (
        "09-down-payment",
        std(("a", "首付三十万就够了。")),
        {"campaign": {"price_on_phone": False}},
        "QA-09",
        True,
    ),
    ("09-allowed", std(("a", "每月只要一百二十九元。")), {}, "QA-09", False),
    (
        "09-not-prices",
        std(("a", "一百一十八平,离地铁八百米,上午十点,免费体验两个小时,数学考了八十来分。")),
        {"campaign": {"price_on_phone": False}},
        "QA-09",
        False,
    ),
    (
        "09-deflect",
        std(("c", "多少钱?"), ("a", "价格一般家庭都能接受,电话里说一个数不准。")),
        {"campaign": {"price_on_phone": False}},
        "QA-09",
        False,
    ),
    # QA-10
    (
        "10-listening",
        std(("c", "你们上次说送话费。"), ("a", "您肯定弄错了,我们从没说过。")),
        {},
        "QA-10",
        True,
    ),
    ("10-paraphrase", std(("c", "你们上次说送话费。"), ("a", "您可能是记错了。")), {}, "QA-10", True),
    (
        "10-customer-says",
        std(("c", "你什么意思?你肯定弄错了。"), ("a", "抱歉没说清楚,我再解释一下。")),
        {},
        "QA-10",
        False,
    ),
    # QA-11
    (
        "11-ambiguous",
        std(("a", "那我给您开通好吗?"), ("c", "嗯……"), ("a", "好的,已经为您开通了。")),
        {"disposition": "success"},
        "QA-11",
        True,
    ),
    (
        "11-brush-off",
        std(("a", "给您办理好吗?"), ("c", "好了好了,就这样吧。"), ("a", "已经给您办好了。")),
        {"disposition": "success"},
        "QA-11",
        True,
    ),
    (
        "11-reask",
        std(
            ("a", "给您开通好吗?"),
            ("c", "嗯。"),
            ("a", "请您明确告诉我是否同意开通?"),
            ("c", "好的,同意。"),
            ("a", "已经为您开通了。"),
        ),
        {"disposition": "success"},
        "QA-11",
        False,
    ),
    (
        "11-callback-mm",
        std(("a", "那我明天上午十点再打给您可以吗?"), ("c", "嗯。")),
        {"disposition": "callback"},
        "QA-11",
        False,
    ),
    # QA-12
    (
        "12-birth-year",
        std(("a", "给您开通好吗?"), ("c", "好的。")),
        {"lead": {"birth_year": 1950}, "disposition": "success"},
        "QA-12",
        True,
    ),
    (
        "12-says-elderly",
        std(("c", "我都七十六了,用不着。"), ("a", "大爷,每月只要十元,很划算。")),
        {"lead": {"birth_year": None}},
        "QA-12",
        True,
    ),
    (
        "12-minor",
        std(("c", "我还是学生,今年才高一。"), ("a", "学生用正合适,给您开通好吗?")),
        {"lead": {"birth_year": None}},
        "QA-12",
        True,
    ),
    ("12-parent", std(("c", "我儿子今年十二岁,上六年级。"), ("a", "欢迎孩子来体验课。")), {}, "QA-12", False),
    (
        "12-other-user",
        std(("c", "王建国是我爸,这个号现在是我在用,我今年四十。"), ("a", "好的,给您介绍一下套餐。")),
        {"lead": {"birth_year": 1950}},
        "QA-12",
        False,
    ),
    (
        "12-adult-education",
        std(("c", "我就是初中文化,合同看不太懂。"), ("a", "没关系,我给您讲,这个套餐每月只要十元。")),
        {"lead": {"birth_year": 1978}},
        "QA-12",
        False,
    ),
    (
        "12-school-workplace",
        std(("c", "我在小学当老师。"), ("a", "那给您推荐教师专享套餐。")),
        {"lead": {"birth_year": None}},
        "QA-12",
        False,
    ),
    (
        "12-pupil",
        std(("c", "我在读初三,我妈不在家。"), ("a", "那给您介绍一下学生套餐,每月十元。")),
        {"lead": {"birth_year": None}},
        "QA-12",
        True,
    ),
    (
        "12-stated-birth-year",
        std(("c", "我是五一年的,年纪大了。"), ("a", "没关系,给您介绍一下老年套餐。")),
        {"lead": {"birth_year": None}},
        "QA-12",
        True,
    ),
    (
        "12-answer-about-child",
        std(("a", "请问孩子今年多大了?"), ("c", "十岁,上四年级。"), ("a", "正适合我们的体验课。")),
        {},
        "QA-12",
        False,
    ),
    (
        "12-bare-age-answer",
        std(("a", "请问您今年多大年纪?"), ("c", "七十六。"), ("a", "那给您推荐老年套餐,每月十元。")),
        {"lead": {"birth_year": None}},
        "QA-12",
        True,
    ),
    # QA-13
    ("13-lunch", std(), {"placed_at": "2026-11-20T12:20:00+08:00"}, "QA-13", True),
    ("13-evening-utc", std(), {"placed_at": "2026-11-20T10:30:00Z"}, "QA-13", True),
    ("13-utc-morning-inside", std(), {"placed_at": "2026-11-20T01:40:00Z"}, "QA-13", False),
    ("13-edge-1759", std(), {"placed_at": "2026-11-20T17:59:00+08:00"}, "QA-13", False),
    ("13-edge-1800", std(), {"placed_at": "2026-11-20T18:00:00+08:00"}, "QA-13", True),
    # QA-14
    (
        "14-nickname-only",
        [
            ("a", "喂您好,我是小孙,请问是王先生吗?"),
            ("c", "哪位?"),
            ("a", "我是中国移动的,想给您介绍套餐。"),
            ("c", "哦。"),
            CLOSE,
            BYE,
        ],
        {},
        "QA-14",
        True,
    ),
    ("14-full-opening", std(), {}, "QA-14", False),
    (
        "14-customer-request",
        [OPEN, ("c", "是的,我想问一下能不能办国际漫游。"), ("a", "我帮您查一下,请稍等。"), CLOSE, BYE],
        {},
        "QA-14",
        False,
    ),
    # QA-15
    ("15-long-hold", std(("a", "我帮您查一下,请稍等。"), ("hold", 75), ("a", "久等了。")), {}, "QA-15", True),
    ("15-no-reason", std(("a", "您先别挂。"), ("hold", 20), ("a", "久等了。")), {}, "QA-15", True),
    (
        "15-short-with-reason",
        std(("a", "我帮您查一下套餐,大概半分钟。"), ("c", "好。"), ("hold", 40), ("a", "久等了。")),
        {},
        "QA-15",
        False,
    ),
    (
        "15-announced-own-words",
        std(("a", "您稍等片刻,我去把您的记录调出来看一眼。"), ("hold", 35), ("a", "谢谢您耐心等我。")),
        {},
        "QA-15",
        False,
    ),
    (
        "15-customer-asked",
        std(("a", "需要核对一下您的证件号码。"), ("c", "您等一下,我去拿身份证。"), ("hold", 45), ("c", "好了。")),
        {},
        "QA-15",
        False,
    ),
    (
        "06-legitimacy-claim",
        std(("c", "你们是正规的吗?"), ("a", "您放心,我们是国家正规的通信运营商。")),
        {},
        "QA-06",
        False,
    ),
    (
        "06-shares-only-generic-word",
        [("a", "您好,我是华泰人寿保险的顾问小蒋,想给您介绍一款重疾险。"), YES, CLOSE, BYE],
        {"campaign": {"brand": "恒安保险代理", "authorized_brands": ["恒安保险代理"]}},
        "QA-06",
        True,
    ),
    # policy 2026.11.29 (issue 17, second round): readings checked with wordings of their own
    # QA-05: promise families (modifiers in any order, a question word with 都, a gift to all, no risk at all)
    (
        "05-negated-cost-modifiers-any-order",
        std(
            ("a", "这套课程报了以后,不需要您另外再付一分钱。"),
            ("c", "那行,给我报上。"),
            ("a", "好的。教材和练习册要另外加钱购买,一套三百。"),
            ("c", "你刚才不是说不用再付钱吗?这不是骗人吗?"),
        ),
        {},
        "QA-05",
        True,
    ),
    (
        "05-question-word-with-dou",
        std(
            ("a", "这个医疗险,您去哪家医院看病都能报。"),
            ("c", "那挺好,我买一份。"),
            ("a", "不过私立医院和特需门诊不在报销范围。"),
            ("c", "说好的哪家都能报呢?这不是忽悠人吗?"),
        ),
        {},
        "QA-05",
        True,
    ),
    (
        "05-no-risk-at-all",
        std(
            ("a", "这款理财您放心,一丝风险都没有。"),
            ("c", "那我先买五万。"),
            ("a", "好的。提醒您一下,它是净值型的,行情不好的时候会有亏损。"),
            ("c", "你前面不是说没风险吗?那我不买了。"),
        ),
        {},
        "QA-05",
        True,
    ),
    (
        "05-gift-to-all-kept",
        std(
            ("a", "拍完以后所有照片全部送给您,原片精修都有。"),
            ("c", "好的,那就定周六拍。"),
            ("a", "好的,周六上午九点,到时候见。"),
        ),
        {},
        "QA-05",
        False,
    ),
    (
        "05-complaint-settled-with-a-voucher",
        std(
            ("c", "上次的师傅根本没修好,我要投诉你们。"),
            ("a", "非常抱歉,这次我们免费给您重做一遍,另外补您一张五十元的代金券。"),
            ("c", "那还差不多。"),
        ),
        {"disposition": "complaint"},
        "QA-05",
        False,
    ),
    (
        "05-extra-cost-negated-up-front",
        std(
            ("a", "安装上门不会另外收您任何钱,需要加钱的配件我们都会先问您。"),
            ("c", "好的,那约明天吧。"),
        ),
        {},
        "QA-05",
        False,
    ),
    # QA-06: another organisation's licensee or agent; a cleft or the customer's company is no presentation
    (
        "06-licensee-of-another-org-with-description",
        [
            ("a", "您好,我是家净的售后顾问小钟,我们是戴森指定的家电深度清洗服务商,今天来电想给您介绍上门清洗。"),
            YES,
            CLOSE,
            BYE,
        ],
        {"campaign": {"brand": "家净家电服务", "authorized_brands": ["家净家电服务"]}},
        "QA-06",
        True,
    ),
    (
        "06-own-name-first-then-regional-agent",
        [("a", "您好,我是恒通电梯的顾问小孔,我们恒通是三菱电梯在西南的独家代理,想跟您聊聊电梯维保。"), YES, CLOSE, BYE],
        {"campaign": {"brand": "恒通电梯工程", "authorized_brands": ["恒通电梯工程"]}},
        "QA-06",
        True,
    ),
    (
        "06-cleft-how-we-found-the-customer",
        [
            ("a", "您好,我是家净家电服务的顾问小钟,我们是通过贵公司官网上的电话联系到您的,想给您介绍办公室空调清洗。"),
            YES,
            CLOSE,
            BYE,
        ],
        {"campaign": {"brand": "家净家电服务", "authorized_brands": ["家净家电服务"]}},
        "QA-06",
        False,
    ),
    (
        "06-own-group-licensee",
        [("a", "您好,我是家净的顾问小钟,我们是家净集团官方授权的社区服务网点,想给您介绍上门清洗。"), YES, CLOSE, BYE],
        {"campaign": {"brand": "家净家电服务", "authorized_brands": ["家净家电服务"]}},
        "QA-06",
        False,
    ),
    # QA-10: you got it wrong in any verb + result compound; 我们<name>从来没…过
    (
        "10-heard-it-wrong-compound",
        std(("c", "不是说周四来吗?"), ("a", "您八成是听岔了,我们定的是周三。")),
        {},
        "QA-10",
        True,
    ),
    (
        "10-remembered-the-other-way",
        std(("c", "合同是三年吧?"), ("a", "您肯定是记反了,合同签的是两年。")),
        {},
        "QA-10",
        True,
    ),
    (
        "10-we-never-with-name",
        std(("c", "上次你们多收了上门费。"), ("a", "我们安居从来没收过上门费。")),
        {},
        "QA-10",
        True,
    ),
    (
        "10-agent-blames-itself",
        std(("c", "不是说周四吗?"), ("a", "是我记岔了,不好意思,确实是周四。")),
        {},
        "QA-10",
        False,
    ),
    (
        "10-conditional-mistake",
        std(("c", "表格我不会填。"), ("a", "您要是填错了也没关系,我帮您改。")),
        {},
        "QA-10",
        False,
    ),
    (
        "10-customer-says-it",
        std(("c", "你们肯定是弄拧了,我没订过。"), ("a", "抱歉,我马上帮您查。")),
        {},
        "QA-10",
        False,
    ),
    # QA-12: whose age (children counted or enumerated, a school stage describing a child or course, a past
    # school, an age stated outright, a figure in a price)
    (
        "12-children-enumerated",
        std(("c", "我家三个娃,一个十一一个七岁,能一起报吗?"), ("a", "我们这个套餐正合适,我给您办一个?")),
        {},
        "QA-12",
        False,
    ),
    (
        "12-school-stage-describes-a-course",
        std(("c", "初中的课程你们也有吗?我想给侄子报。"), ("a", "我们这个套餐正合适,我给您办一个?")),
        {},
        "QA-12",
        False,
    ),
    (
        "12-past-school-and-stated-age",
        std(
            ("c", "我年轻那会儿没好好学,当时上初中就跟着家里干活了,今年四十五。"),
            ("a", "我们这个套餐正合适,我给您办一个?"),
        ),
        {},
        "QA-12",
        False,
    ),
    (
        "12-figure-in-a-price",
        std(("c", "换一次总共也就七十五,还行。"), ("a", "我们这个套餐正合适,我给您办一个?")),
        {},
        "QA-12",
        False,
    ),
    (
        "12-pupil-says-so",
        std(("c", "我是初二的学生,我妈不在家。"), ("a", "我们这个套餐正合适,我给您办一个?")),
        {},
        "QA-12",
        True,
    ),
    (
        "12-stated-old-age-kept",
        std(("c", "我都七十六了,还办什么。"), ("a", "我们这个套餐正合适,我给您办一个?")),
        {},
        "QA-12",
        True,
    ),
    # QA-07: "not even once?" and a small matter asked of the customer; a rhetorical question about the job
    (
        "07-not-even-once",
        std(("c", "这个怎么设置密码?"), ("a", "使用手册里写得清清楚楚,您装的时候就没看一眼吗?")),
        {},
        "QA-07",
        True,
    ),
    ("07-small-matter", std(("c", "我想问问账单。"), ("a", "这点小事也值得打电话投诉?")), {}, "QA-07", True),
    (
        "07-rhetorical-naming-the-customer",
        std(("c", "怎么开机?"), ("a", "难道您自己不会看说明书吗?")),
        {},
        "QA-07",
        True,
    ),
    (
        "07-invitation-with-softener",
        std(("c", "我再想想。"), ("a", "您就不试一下吗?这个月体验是免费的。")),
        {},
        "QA-07",
        False,
    ),
    (
        "07-small-matter-agent-apologises",
        std(("c", "好的。"), ("a", "这么点事都要麻烦您跑一趟,真不好意思。")),
        {},
        "QA-07",
        False,
    ),
    (
        "07-rhetorical-thrown-back-at-a-complaint",
        std(("c", "你们一天打三次,烦不烦?"), ("a", "不就是接个电话吗?这个月办还有礼品。")),
        {},
        "QA-07",
        True,
    ),
    (
        "07-rhetorical-about-the-job",
        std(("c", "你们用什么板材?"), ("a", "装修最怕什么?不就是甲醛超标吗?所以我们全用环保板材。")),
        {},
        "QA-07",
        False,
    ),
    # QA-01: a name or 你 in a text read out (after a colon) is not an address
    (
        "01-name-read-out-from-the-contract",
        std(("c", "合同签的谁的名字?"), ("a", "合同上乙方一栏写的是:王建国,身份证尾号三五一二,对吗?")),
        {},
        "QA-01",
        False,
    ),
    (
        "01-ni-read-out-from-an-sms",
        std(("c", "短信说的什么?"), ("a", "短信原文是:你好,你的宽带将于周五到期。")),
        {},
        "QA-01",
        False,
    ),
    (
        "01-bare-name-after-the-read-out",
        std(("c", "写的什么?"), ("a", "写的是:乙方签字。王建国,您签了吗?")),
        {},
        "QA-01",
        True,
    ),
    # QA-14: a name after a job title the list did not hold
    (
        "14-dispatcher-with-name",
        [("a", "您好,我是安居家政的调度刘敏,今天来电是跟您确认明天的保洁时间。"), YES, CLOSE, BYE],
        {"campaign": {"brand": "安居家政", "authorized_brands": ["安居家政"]}},
        "QA-14",
        False,
    ),
    (
        "14-nurse-with-name",
        [("a", "您好,我是悦康口腔的护士周琳,今天来电是提醒您明天的复诊。"), YES, CLOSE, BYE],
        {"campaign": {"brand": "悦康口腔", "authorized_brands": ["悦康口腔"]}},
        "QA-14",
        False,
    ),
    (
        "14-title-without-name",
        [("a", "您好,我是安居家政的调度,今天来电是跟您确认明天的保洁时间。"), YES, CLOSE, BYE],
        {"campaign": {"brand": "安居家政", "authorized_brands": ["安居家政"]}},
        "QA-14",
        True,
    ),
    # QA-11: booking a date is the sale for a service; the answer is read in call order
    (
        "11-date-fixed-on-a-mumble",
        [
            OPEN,
            YES,
            ("a", "王先生您好,今天来电是跟您说一下家里保洁的事。"),
            ("a", "那我给您把下周三上午的保洁定下来?"),
            ("c", "嗯。"),
            ("a", "好的,已经给您定好了,周二师傅会联系您。"),
            CLOSE,
            BYE,
        ],
        {"disposition": "success"},
        "QA-11",
        True,
    ),
    (
        "11-visit-arranged-on-a-mumble",
        [
            OPEN,
            YES,
            ("a", "王先生您好,今天来电是跟您说一下橱柜测量的事。"),
            ("a", "我给您安排周六上门量尺寸?"),
            ("c", "哦……"),
            ("a", "好的,已经给您安排上了。"),
            CLOSE,
            BYE,
        ],
        {"disposition": "success"},
        "QA-11",
        True,
    ),
    (
        "11-clear-yes-then-a-goodbye",
        [
            OPEN,
            YES,
            ("a", "王先生您好,今天来电是跟您说一下家里保洁的事。"),
            ("a", "周四上午九点阿姨上门,这样给您定下来,可以吗?"),
            ("c", "行,就这么定了。"),
            ("a", "好的,祝您生活愉快。"),
            ("c", "谢谢啊,拜拜。"),
        ],
        {"disposition": "success"},
        "QA-11",
        False,
    ),
    # QA-02: a firm's own premises where it has no shop
    (
        "02-invited-to-the-practice",
        std(
            ("a", "这类案子我们所里接不了。"),
            ("c", "那怎么办?"),
            ("a", "您有空可以来我们事务所坐坐,当面聊聊别的服务。"),
        ),
        {"eligibility": "ineligible"},
        "QA-02",
        True,
    ),
    (
        "02-invited-to-the-studio",
        std(("a", "很抱歉这个我们做不了,不过欢迎您到我们工作室来看看其他作品。")),
        {"eligibility": "ineligible"},
        "QA-02",
        True,
    ),
    (
        "02-office-visit-spared",
        std(("a", "这个我们暂时帮不了,不用您跑办公室,材料发邮箱就行。")),
        {"eligibility": "ineligible"},
        "QA-02",
        False,
    ),
    # QA-04: a bare negated verb declines the action offered
    (
        "04-declines-the-offered-verb",
        [
            ("a", "您好,我是拾光影像的顾问小林,今天来电是想邀请您全家来拍一套新年全家福。"),
            ("c", "不拍,谢谢。"),
            ("a", "现在拍还送一本相册,很多家庭都来了。"),
            ("c", "不需要。"),
            ("a", "老人孩子一起留个纪念,挺有意义的。"),
            ("c", "不用了。"),
            ("a", "这个月有优惠,要不您再考虑一下?"),
            BYE,
        ],
        {"campaign": {"brand": "拾光影像", "authorized_brands": ["拾光影像"]}},
        "QA-04",
        True,
    ),
    (
        "04-bare-negation-is-a-correction",
        [
            ("a", "您好,我是拾光影像的顾问小林,您是周三约的拍摄对吧?今天来电是确认时间。"),
            ("c", "不对,是周四。"),
            ("a", "好的。另外新年全家福现在拍还送相册。"),
            ("c", "不需要。"),
            ("a", "老人孩子一起留个纪念,挺有意义的。"),
            ("c", "不用了。"),
            ("a", "这个月有优惠,要不您再考虑一下?"),
            BYE,
        ],
        {"campaign": {"brand": "拾光影像", "authorized_brands": ["拾光影像"]}},
        "QA-04",
        False,
    ),
    (
        "04-negated-verb-not-offered",
        [
            ("a", "您好,我是拾光影像的顾问小林,今天来电是想邀请您全家来拍一套新年全家福。"),
            ("c", "我们不急。"),
            ("a", "现在拍还送一本相册。"),
            ("c", "不需要。"),
            ("a", "老人孩子一起留个纪念。"),
            ("c", "不用了。"),
            ("a", "这个月有优惠,要不您再考虑一下?"),
            BYE,
        ],
        {"campaign": {"brand": "拾光影像", "authorized_brands": ["拾光影像"]}},
        "QA-04",
        False,
    ),
    # QA-09: a round figure per head or after a cost verb; counts stay counts
    (
        "09-per-head-figure",
        std(("c", "学费怎么算?"), ("a", "每位学员三千六,教材都含了。")),
        {"campaign": {"price_on_phone": False}},
        "QA-09",
        True,
    ),
    (
        "09-discount-figure",
        std(("c", "有优惠吗?"), ("a", "这个月报名还能减五百。")),
        {"campaign": {"price_on_phone": False}},
        "QA-09",
        True,
    ),
    (
        "09-per-head-count",
        std(("c", "一个班多少人?"), ("a", "每个班二十个孩子,每位老师带两千多个小时的课。")),
        {"campaign": {"price_on_phone": False}},
        "QA-09",
        False,
    ),
    (
        "09-any-kind-of-price",
        std(("c", "多少钱?"), ("a", "我们一口价三千二,上门安装都含了。")),
        {"campaign": {"price_on_phone": False}},
        "QA-09",
        True,
    ),
    # QA-05: a figure given up front is no contradiction when repeated later
    (
        "05-price-given-up-front-repeated",
        std(
            ("a", "上门测量是免费的,不订也不收钱;要订的话,橱柜全包价是八千八。"),
            ("c", "好,那先来量。"),
            ("a", "好的,量完装好以后再付八千八。"),
            ("c", "你刚才不是说免费吗?"),
            ("a", "免费的是测量,橱柜是八千八全包。"),
            ("c", "哦,是我听错了。"),
        ),
        {},
        "QA-05",
        False,
    ),
    (
        "05-figure-not-given-up-front",
        std(
            ("a", "上门测量加安装,什么费用都没有。"),
            ("c", "好,那先来量。"),
            ("a", "好的,量完装好以后再付八千八。"),
            ("c", "你刚才不是说什么费用都没有吗?这不是骗人吗?"),
        ),
        {},
        "QA-05",
        True,
    ),
    # further paraphrases of this round's readings (own wording, both directions)
    (
        "12-picks-an-option",
        std(("c", "我五,五号套餐。"), ("a", "我们这个套餐正合适,我给您办一个?")),
        {},
        "QA-12",
        False,
    ),
    (
        "09-pay-to-lock",
        std(("c", "怎么报?"), ("a", "先交三千就能锁定名额。")),
        {"campaign": {"price_on_phone": False}},
        "QA-09",
        True,
    ),
    ("10-you-read-it-crossed", std(("c", "上面写三年。"), ("a", "您准是看串了,是两年。")), {}, "QA-10", True),
    ("10-you-heard-right", std(("c", "免费的?"), ("a", "您没听错,确实是免费的。")), {}, "QA-10", False),
    ("07-not-a-word-heard", std(("c", "什么?"), ("a", "我说了半天,您都没听进去一句吗?")), {}, "QA-07", True),
    (
        "07-persuasive-never-thought",
        std(("c", "我再想想。"), ("a", "您就没想过给家里人多一份保障吗?")),
        {},
        "QA-07",
        False,
    ),
    (
        "06-biggest-local-firm",
        [("a", "您好,我是安居家政的顾问小孙,我们安居是本地最大的家政服务商之一,想给您介绍保洁。"), YES, CLOSE, BYE],
        {"campaign": {"brand": "安居家政", "authorized_brands": ["安居家政"]}},
        "QA-06",
        False,
    ),
    (
        "06-since-a-year",
        [("a", "您好,我是安居家政的顾问小孙,我们是从二〇一〇年就开始做家政的,想给您介绍保洁。"), YES, CLOSE, BYE],
        {"campaign": {"brand": "安居家政", "authorized_brands": ["安居家政"]}},
        "QA-06",
        False,
    ),
    (
        "04-sign-declined",
        [
            ("a", "您好,我是中国移动的客户经理小李,想请您签约新的合约套餐。"),
            ("c", "不签。"),
            ("a", "签了每月省二十。"),
            ("c", "不需要。"),
            ("a", "很多人都签了。"),
            ("c", "不用了。"),
            ("a", "您再考虑一下?"),
            BYE,
        ],
        {},
        "QA-04",
        True,
    ),
    (
        "11-yes-then-a-price-question",
        [
            OPEN,
            YES,
            ("a", "王先生您好,今天来电是跟您说一下家里保洁的事。"),
            ("a", "周四上午给您安排保洁,可以吗?"),
            ("c", "好的,多少钱?"),
            ("a", "两小时一百二。"),
            ("c", "嗯。"),
            ("a", "好的,已经给您安排好了。"),
            CLOSE,
            BYE,
        ],
        {"disposition": "success"},
        "QA-11",
        False,
    ),
    # QA-07, further forms: the customer's asking counted, a yes-or-no demand, "you would not understand",
    # 连…都不会<verb>?, and a rhetorical question about the agent's own side
    ("07-asking-counted", std(("c", "到底多少钱?"), ("a", "这个问题您都问第三遍了。")), {}, "QA-07", True),
    ("07-yes-or-no-demand", std(("c", "啊?"), ("a", "您到底听没听我说话?")), {}, "QA-07", True),
    ("07-lian-dou-verb", std(("c", "验证码在哪?"), ("a", "您这么大人了,连个验证码都不会看?")), {}, "QA-07", True),
    ("07-would-not-understand", std(("c", "为什么?"), ("a", "跟您说了您也不明白。")), {}, "QA-07", True),
    (
        "07-rhetorical-about-the-agent",
        std(("c", "你说什么?"), ("a", "不好意思,难道是我说得太快了吗?我再说一遍。")),
        {},
        "QA-07",
        False,
    ),
    ("07-genuine-question", std(("c", "我再想想。"), ("a", "您是不是还有别的顾虑?")), {}, "QA-07", False),
    # QA-12 and QA-14 paraphrases around this round's readings (own wording)
    (
        "12-son-in-senior-high",
        std(("c", "我儿子今年高三,我想问问你们的课。"), ("a", "我们这个套餐正合适,我给您办一个?")),
        {},
        "QA-12",
        False,
    ),
    (
        "12-sixty-nine-then-seventy",
        std(("c", "我今年六十九,明年就七十了。"), ("a", "我们这个套餐正合适,我给您办一个?")),
        {},
        "QA-12",
        False,
    ),
    (
        "12-sixteen-says-so",
        std(("c", "我才十六岁,我爸不在家。"), ("a", "我们这个套餐正合适,我给您办一个?")),
        {},
        "QA-12",
        True,
    ),
    (
        "12-monthly-price",
        std(("c", "一个月九十九也太贵了。"), ("a", "我们这个套餐正合适,我给您办一个?")),
        {},
        "QA-12",
        False,
    ),
    (
        "14-planner-with-name",
        [("a", "您好,我是星河教育的课程规划师王悦,今天联系您是想邀请您参加体验课。"), YES, CLOSE, BYE],
        {"campaign": {"brand": "星河教育", "authorized_brands": ["星河教育"]}},
        "QA-14",
        False,
    ),
    (
        "14-designer-without-name",
        [("a", "您好,我是绿洲装饰的设计师,今天来电是跟您约量房时间。"), YES, CLOSE, BYE],
        {"campaign": {"brand": "绿洲装饰", "authorized_brands": ["绿洲装饰"]}},
        "QA-14",
        True,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_detector_table(check_case: Callable[[Case], None], case: Case) -> None:
    check_case(case)


def test_clean_baseline_has_no_findings(mk: Callable[..., CallRecord], policy: Policy) -> None:
    assert check_call(mk(std()), policy) == []


def test_finding_fields(mk: Callable[..., CallRecord], policy: Policy) -> None:
    call = mk(std(("c", "多少钱?"), ("a", "你看每月只要十元。")), campaign={"price_on_phone": False})
    findings = {f.rule: f for f in check_call(call, policy)}
    qa01 = findings["QA-01"]
    assert qa01.turn == 4 and qa01.evidence == "你" and qa01.span is not None
    turn = call.turns[4]
    assert isinstance(turn, SpeechTurn)
    text = turn.text
    assert text[qa01.span[0] : qa01.span[1]] == "你"
    assert qa01.fine_agent == 10 and qa01.policy_version == policy.version
    qa09 = findings["QA-09"]
    assert qa09.evidence == "十元" and qa09.fine_agent == 0 and qa09.penalty


def test_qa05_evidence_points_at_promise_contradiction_and_reaction(
    mk: Callable[..., CallRecord], policy: Policy
) -> None:
    call = mk(
        std(
            ("a", "提速这块什么费用都没有。"),
            ("c", "那帮我提吧。"),
            ("a", "好的。提速以后光猫要交两百元押金。"),
            ("c", "合着还是要交钱,我要投诉。"),
        )
    )
    (f,) = [f for f in check_call(call, policy) if f.rule == "QA-05"]
    texts = {i: t.text for i, t in enumerate(call.turns) if isinstance(t, SpeechTurn)}
    assert f.turn == 3 and f.span is not None and texts[3][f.span[0] : f.span[1]] == f.evidence
    assert "什么费用都没有" in f.evidence
    roles = {e.role: e for e in f.related}
    assert set(roles) == {"contradiction", "reaction"}
    assert roles["contradiction"].turn == 5 and "押金" in roles["contradiction"].text
    assert roles["reaction"].turn == 6 and "投诉" in roles["reaction"].text
    for e in f.related:
        assert texts[e.turn][e.span[0] : e.span[1]] == e.text


def test_empty_transcript_only_call_level_rules(mk: Callable[..., CallRecord], policy: Policy) -> None:
    call = mk([], placed_at="2026-11-20T20:00:00+08:00", caller_number="+8618600003333")
    assert {f.rule for f in check_call(call, policy)} == {"QA-08", "QA-13"}
    assert all(f.turn is None for f in check_call(call, policy))

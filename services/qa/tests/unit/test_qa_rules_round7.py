"""Issue 17, seventh round (policy 2026.12.04): the kinds read from the rest of qa-variants-20 … 22
and from the development sets written for this round by helpers who had not read the detectors
(qa-variants-23 … 26), each scored before it was read. Every kind is checked here on wordings of
its own (other products, names and verbs), with hard negatives, so what is tested is the kind and
not those sets' sentences. A case that already passes on the checker before the round (a36ac50,
policy 2026.12.03) is a guard: a positive the round's new exemptions must not swallow, or a hard
negative its new readings must not fire on."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from qa.rules import Policy
from qa.testing import CASE_BYE as BYE
from qa.testing import CASE_CLOSE as CLOSE
from qa.testing import CASE_NO_PRICE as NO_PRICE
from qa.testing import CASE_OPEN as OPEN
from qa.testing import CASE_PURPOSE as PURPOSE
from qa.testing import CASE_SOLD as SOLD
from qa.testing import CASE_YES as YES
from qa.testing import case_call as std
from qa.testing import case_opening as opening

Case = tuple[str, list[tuple[str, Any]], dict[str, Any], str, bool]  # name, turns, overrides, rule, fires
CASES: list[Case] = [
    # QA-05: the terms the customer reads out in quotation marks set a condition on the promised
    # thing (…方可…, 否则不予…) or settle a cost later (差额按实际结算); the customer holds the promise up
    # against them (这叫没有条件?)
    (
        "05-quoted-terms-set-a-condition",
        std(
            ("a", "这张健身卡不满意随时可以退,没有任何条件。"),
            ("c", "那你把协议发我看看。"),
            ("a", "好的,已经发您微信了。"),
            ("c", "我看看……“会员须连续打卡满三十天,方可申请退卡。”这叫没有任何条件?"),
        ),
        {},
        "QA-05",
        True,
    ),
    (
        "05-quoted-terms-settle-the-difference",
        std(
            ("a", "现在签下来价格就锁定了,以后一分钱都不用加。"),
            ("c", "你把合同发过来。"),
            ("a", "发到您邮箱了。"),
            ("c", "第七条写的“如遇材料涨价,差额部分按实际发生结算”,你刚才不是说一分都不用加吗?"),
        ),
        {},
        "QA-05",
        True,
    ),
    (
        "05-agent-adds-a-precondition",
        std(
            ("a", "学不会全额退款,没有任何条件。"),
            ("c", "真的?"),
            ("a", "对,前提是您每节直播课都要上满。"),
            ("c", "你刚才不是说没有任何条件吗?这不是忽悠人吗?"),
        ),
        {},
        "QA-05",
        True,
    ),
    (
        "05-quoted-terms-keep-the-promise",
        std(
            ("a", "这张健身卡不满意随时可以退,没有任何条件。"),
            ("c", "那你把协议发我看看。"),
            ("a", "好的,已经发您微信了。"),
            ("c", "我看看……“会员可随时申请退卡,剩余费用全额退还。”嗯,那挺好。"),
        ),
        {},
        "QA-05",
        False,
    ),
    (
        "05-condition-said-before-agreeing",
        std(
            ("a", "退卡的话需要连续打卡满三十天,这个写在协议里。"),
            ("c", "行,我知道了,那办吧。"),
        ),
        {},
        "QA-05",
        False,
    ),
    # QA-09: a figure said again in a clause with no price word keeps the reading it had when first
    # said (a cover amount); a measured reading is no price
    (
        "09-cover-figure-said-again",
        std(
            ("a", "意外险的保额可以到三十万,医疗保额五万。"),
            ("c", "嗯,那行。"),
            ("a", "我跟您确认一下:意外三十万、医疗五万,您看可以吗?"),
        ),
        NO_PRICE,
        "QA-09",
        False,
    ),
    (
        "09-price-said-again",
        std(("a", "这个保险一年保费三百八。"), ("c", "嗯。"), ("a", "我再确认一下:一年三百八,您看可以吗?")),
        NO_PRICE,
        "QA-09",
        True,
    ),
    ("09-water-reading", std(("a", "您家的自来水测出来是四百一,偏高,烧水容易结垢。")), NO_PRICE, "QA-09", False),
    ("09-noise-reading", std(("a", "这台机器运行噪音四十五分贝,晚上也不吵。")), NO_PRICE, "QA-09", False),
    (
        "09-price-beside-reading",
        std(("a", "测出来硬度偏高,装一台软水机只要三千八。")),
        NO_PRICE,
        "QA-09",
        True,
    ),
]

REFUSED_THRICE = (
    ("c", "不需要。"),
    ("a", "这个活动很划算的。"),
    ("c", "真不用。"),
    ("a", "您可以先体验一下。"),
    ("c", "我说了不要。"),
)
CASES += [
    # QA-04: after three refusals, pushing on in new words: the cost made small, one more thing to
    # buy suggested, issuing the order at once, the refusal's reason argued away, its cost taken on,
    # the agent adding the customer on WeChat or sending the offer's papers
    ("04-cost-made-small", std(*REFUSED_THRICE, ("a", "那家庭流量包呢,一个月才二十块。")), {}, "QA-04", True),
    ("04-one-more-to-buy", std(*REFUSED_THRICE, ("a", "宽带您不要,那手机副卡您办一张吧。")), {}, "QA-04", True),
    ("04-issue-at-once", std(*REFUSED_THRICE, ("a", "我现在就能给您下单,明天师傅就上门。")), {}, "QA-04", True),
    (
        "04-reason-argued-away",
        std(*REFUSED_THRICE, ("a", "家里有宽带也没关系,我们这个可以当备用。")),
        {},
        "QA-04",
        True,
    ),
    ("04-cost-taken-on", std(*REFUSED_THRICE, ("a", "您换过来的违约金我们帮您出。")), {}, "QA-04", True),
    ("04-agent-adds-wechat", std(*REFUSED_THRICE, ("a", "那我给您加个微信,有活动再通知您。")), {}, "QA-04", True),
    ("04-sends-the-papers", std(*REFUSED_THRICE, ("a", "那我把套餐介绍发给您,您有空看看。")), {}, "QA-04", True),
    # the do-not-call note the customer asked for, and two refusals only, are no pushing
    (
        "04-do-not-call-note",
        [OPEN, YES, PURPOSE, *REFUSED_THRICE, ("a", "好的,已经给您登记了,以后不会再打扰您,祝您生活愉快。"), BYE],
        {},
        "QA-04",
        False,
    ),
    (
        "04-two-refusals-then-small-cost",
        std(("c", "不需要。"), ("a", "这个活动很划算的。"), ("c", "真不用。"), ("a", "一个月才二十块。")),
        {},
        "QA-04",
        False,
    ),
    # QA-06: the offer passed off as a brand's (就当是装的…) even when the customer named that brand first;
    # the team set up as a maker's official channel in a place; a negated tie (不是…的授权服务商) is none
    (
        "06-passed-off-as-the-customers-provider",
        std(("c", "我家用的是电信的宽带。"), ("a", "没事,您就当是装的电信宽带,用的是同一根光纤。")),
        {},
        "QA-06",
        True,
    ),
    (
        "06-makers-official-channel-in-a-city",
        std(("a", "我们恒达是雷鸣电器在本市的官方销售渠道,货都是厂里直接给我们供的。")),
        {},
        "QA-06",
        True,
    ),
    (
        "06-negated-tie",
        std(("a", "我们是第三方维修店,不是华为官方,也不是华为的授权服务商,换下来的零件都给您。")),
        {},
        "QA-06",
        False,
    ),
    (
        "06-negated-tie-unlisted-maker",
        std(("a", "我们就是本地的维修店,也不是雷鸣电器的授权服务商,这个得跟您说清楚。")),
        {},
        "QA-06",
        False,
    ),
    (
        "06-provider-named-by-customer",
        std(("c", "我家用的是电信的宽带。"), ("a", "电信的网速怎么样?")),
        {},
        "QA-06",
        False,
    ),
    # QA-12: a child named in a clause that only says who it is for (给我家孩子用,四年级) owns the school stage
    # after it; a school stage with a subject (小学语文) is a level taught; an agent who keeps the business
    # for the lead (得跟…本人说) withdraws, whoever of age answered
    (
        "12-for-my-child-then-grade",
        std(("c", "给我家闺女用的,三年级,作业多。"), ("a", "那这款护眼台灯挺合适,亮度可以调。")),
        SOLD,
        "QA-12",
        False,
    ),
    (
        "12-level-taught",
        std(("c", "对,初中数学,我在一个辅导班上课。"), ("a", "那报我们的初中数学教资班正合适。")),
        SOLD,
        "QA-12",
        False,
    ),
    (
        "12-pupil-own-grade",
        std(("c", "我才初二,是我自己要报的。"), ("a", "那我给你报上周末的班。")),
        SOLD,
        "QA-12",
        True,
    ),
    (
        "12-keeps-business-for-the-lead",
        [
            OPEN,
            ("c", "我是他奶奶,他上班去了。我今年七十五了,有啥事跟我说。"),
            ("a", "奶奶您好,这个报名的事我还是得跟王先生本人说,他什么时候方便接电话?"),
            ("c", "晚上吧。"),
            CLOSE,
            BYE,
        ],
        {"disposition": "callback", "callback_at": "2026-11-20T19:00:00+08:00"},
        "QA-12",
        False,
    ),
    # QA-02: sent to a hospital department for a check (去医院眼科查一下) is a referral elsewhere
    (
        "02-hospital-department-referral",
        std(("a", "这个情况我们这边配不了,您得先去医院耳科查一下听力。")),
        {"eligibility": "ineligible", "disposition": "no_interest"},
        "QA-02",
        False,
    ),
    (
        "02-own-store-after-all",
        std(("a", "这个情况我们这边配不了,您有空来店里看看别的款。")),
        {"eligibility": "ineligible", "disposition": "no_interest"},
        "QA-02",
        True,
    ),
    # QA-10: another's words put on the team (把别家的说法安到我们头上了) is "you mixed them up"; never
    # since the firm opened (开业到现在都没…过) is "we have never"
    ("10-put-on-us", std(("a", "您这是把别人家的广告算到我们头上了。")), {}, "QA-10", True),
    ("10-never-since-opening", std(("a", "我们店开业到现在都没收过这种费。")), {}, "QA-10", True),
    ("10-agent-owns-mix-up", std(("a", "是我们把别的客户的单子算到您头上了,实在抱歉。")), {}, "QA-10", False),
    # QA-07: the customer's offence in more words shows the agent's remark just before was aimed at
    # them (你这是威胁我? / 当我是三岁小孩啊? / 我又不是老糊涂 / 你这人咋说话呢? / 用不着你来评理 / 有冇搞错)
    (
        "07-veiled-threat-called-out",
        std(("a", "地下车库晚上没人看,您那车哪天划了两道,可别来找我们物业。"), ("c", "你这是威胁我?")),
        {},
        "QA-07",
        True,
    ),
    (
        "07-treated-as-a-child",
        std(("a", "这个道理很简单的,您回去慢慢琢磨就明白了。"), ("c", "你这口气,把我当小孩子啊?")),
        {},
        "QA-07",
        True,
    ),
    (
        "07-not-senile",
        std(("a", "叔叔,您年纪大了,我讲了您也记不住,让您家里年轻人来听吧。"), ("c", "我又不是老糊涂!")),
        {},
        "QA-07",
        True,
    ),
    (
        "07-family-judged",
        std(("a", "您家姐妹为这点钱闹成这样,您母亲看着能好受吗?"), ("c", "我家的事用不着你来评理。")),
        {},
        "QA-07",
        True,
    ),
    (
        "07-offence-at-a-plain-fact",
        std(("a", "您的宽带合约下个月到期,到期后可以续约。"), ("c", "你这人,到期就到期,我又不是不知道。")),
        {},
        "QA-07",
        False,
    ),
    # QA-07: reproaches in more words: said so many times, not taken in, the customer's wits or age
    # doubted, coming back after going elsewhere; words the agent quotes are another's
    ("07-said-three-times", std(("a", "这个我都跟您解释三遍了,您是没往心里去吧?")), {}, "QA-07", True),
    ("07-wits-doubted", std(("a", "一个月省二十,这点账您总不至于算不清吧?")), {}, "QA-07", True),
    ("07-age-cannot-follow", std(("a", "您这年纪了,跟您讲多了您也记不住。")), {}, "QA-07", True),
    ("07-came-back", std(("a", "去年嫌我们贵,现在倒想起我们来了。")), {}, "QA-07", True),
    (
        "07-quoting-another-customer",
        std(("a", "有个老客户一开始也说“你们这不就是骗钱嘛”,后来用了半年又续了。")),
        {},
        "QA-07",
        False,
    ),
    ("07-explained-once-politely", std(("a", "我再跟您解释一遍,这个套餐每月送二十G流量。")), {}, "QA-07", False),
    # QA-01: a Cantonese form of address by surname (关志强关生) after the full name checks who answers
    (
        "01-cantonese-surname-address",
        [("a", "喂,您好,请问系王建国王生吗?"), YES, PURPOSE, CLOSE, BYE],
        {},
        "QA-01",
        False,
    ),
    # QA-10: the listening phrases in more words: a wrong take in any verb and result with the
    # customer's side in between, what they remember is wrong, not understood, what do you mean,
    # two things taken for one, no such thing ever, not a single one ever, cannot possibly
    ("10-heard-it-crooked", std(("a", "您那是电话里听岔了,我们说的是两年。")), {}, "QA-10", True),
    ("10-memory-wrong", std(("a", "您这个印象不对,当时签的是一年。")), {}, "QA-10", True),
    ("10-not-grasped", std(("a", "您可能还没弄清楚我的意思。")), {}, "QA-10", True),
    ("10-what-to-express", std(("a", "您说这么多到底想表达个什么?")), {}, "QA-10", True),
    ("10-two-for-one", std(("a", "您是把月租跟安装费弄成一笔账了。")), {}, "QA-10", True),
    ("10-no-such-thing", std(("a", "我们这儿根本没有这种说法。")), {}, "QA-10", True),
    ("10-not-a-single-one", std(("a", "我们这个月一单都没往外退过。")), {}, "QA-10", True),
    ("10-cannot-possibly", std(("a", "我们的路由器绝无可能偷跑流量。")), {}, "QA-10", True),
    # ... and what is none: the agent's own mistake, a plain fact about the range, a date impossible
    ("10-agent-mixed-up", std(("a", "是我们把您的月租跟安装费弄成一笔账了,抱歉。")), {}, "QA-10", False),
    ("10-agent-misread", std(("a", "您的单子我们这边看错了,实在不好意思。")), {}, "QA-10", False),
    ("10-range-fact", std(("a", "我们现在没有这个套餐,只有五十九的。")), {}, "QA-10", False),
    ("10-date-impossible", std(("a", "周日装机不可能,师傅周末休息。")), {}, "QA-10", False),
    # QA-04: refusals in other words count towards the three: no money or time, no room, already has
    # one, does not consume the product at all, more than enough at home, Cantonese refusals; pushes
    # after them: a referral asked with a reward, others' numbers asked for, a place kept anyway
    (
        "04-no-money-no-room",
        std(
            ("c", "没钱,工资就那么点。"),
            ("a", "可以分期的。"),
            ("c", "家里也没地方放。"),
            ("a", "这款很小巧。"),
            ("c", "说了不要。"),
            ("a", "那您看这样,我加您个微信。"),
        ),
        {},
        "QA-04",
        True,
    ),
    (
        "04-already-has-and-does-not-drink",
        std(
            ("c", "我不喝咖啡,喝了心慌。"),
            ("a", "我们也有挂耳茶。"),
            ("c", "家里已经有一大罐茶叶了。"),
            ("a", "我们的是明前茶。"),
            ("c", "真不用。"),
            ("a", "那您下单一盒,我再送您一个杯子,一盒才六十八。"),
        ),
        {},
        "QA-04",
        True,
    ),
    (
        "04-cantonese-refusals",
        std(
            ("c", "唔需要啊。"),
            ("a", "我们有优惠的。"),
            ("c", "冇钱。"),
            ("a", "可以分期。"),
            ("c", "讲咗唔要啦。"),
            ("a", "那我给您加个微信,发资料给您。"),
        ),
        {},
        "QA-04",
        True,
    ),
    (
        "04-referral-with-reward",
        std(*REFUSED_THRICE, ("a", "那您帮我在朋友圈转一下,成一单我给您返五十。")),
        {},
        "QA-04",
        True,
    ),
    ("04-others-numbers", std(*REFUSED_THRICE, ("a", "您把您同事的电话给我一个,我问问他们。")), {}, "QA-04", True),
    ("04-place-kept-anyway", std(*REFUSED_THRICE, ("a", "那我还是先给孩子留个位置吧。")), {}, "QA-04", True),
    (
        "04-two-indirect-then-close",
        std(
            ("c", "我不喝咖啡。"),
            ("a", "那茶饮呢?"),
            ("c", "家里茶叶多得喝不完。"),
            ("a", "好的,那不打扰您了。"),
        ),
        {},
        "QA-04",
        False,
    ),
    # QA-06: passed off as another maker's product (the same factory or line, buying it is buying
    # theirs), the team set up as another maker's after-sales point or supplier, appointed by a
    # public body; a brand whose name ends in 的 (美的) is a name; a kind of firm after a denial is none
    (
        "06-same-factory-as-a-maker",
        std(("a", "我们这台跟欧姆龙的出自同一个厂,芯片都一样,您就当买了台欧姆龙。")),
        {},
        "QA-06",
        True,
    ),
    ("06-same-line-as-a-maker", std(("a", "这款跟贝亲卖得最好的那款是一条流水线下来的。")), {}, "QA-06", True),
    ("06-buying-theirs", std(("a", "您买我们的,跟买良品铺子是一样的东西。")), {}, "QA-06", True),
    ("06-not-the-same-factory", std(("a", "我们跟欧姆龙的不是一个厂出的,您放心比较。")), {}, "QA-06", False),
    ("06-makers-after-sales", std(("a", "我们恒达就是格力在本市的售后网点,配件都是原厂的。")), {}, "QA-06", True),
    ("06-makers-supplier", std(("a", "我们果园就是百草味的供货商。")), {}, "QA-06", True),
    ("06-appointed-by-police", std(("a", "我们是市交警支队指定的电动车上牌服务点。")), {}, "QA-06", True),
    ("06-brand-ending-in-de", std(("a", "我们是美的官方售后,空调清洗免费上门。")), {}, "QA-06", True),
    (
        "06-own-brand-ending-in-de",
        [("a", "您好,我是美的的客服小李,请问是王先生吗?"), YES, ("a", "我们是美的官方售后,空调清洗上门。"), CLOSE, BYE],
        {"campaign": {"brand": "美的", "authorized_brands": ["美的"]}},
        "QA-06",
        False,
    ),
    (
        "06-kind-of-firm-after-denial",
        std(("a", "我们不是滴滴的,跟滴滴也没有合作关系,我们是租车公司,车可以自己去平台注册。")),
        {},
        "QA-06",
        False,
    ),
    # QA-02: after the request is found unmanageable, the team's event to come to (an open day, a
    # stand at a fair) or the shop's door; a place word in quotation marks is a label, no place to go
    (
        "02-open-day-after-cannot",
        std(
            ("a", "网课这块我们办不了,不好意思。"),
            ("c", "哦。"),
            ("a", "下周六我们城东有个开放日,您带孩子过来参加一下。"),
        ),
        {"eligibility": "ineligible", "disposition": "no_interest"},
        "QA-02",
        True,
    ),
    (
        "02-stand-at-a-fair",
        std(("a", "您这台老车改不了。"), ("c", "那算了。"), ("a", "周末车展我们有个展位,您有空过来看看新车。")),
        {"eligibility": "ineligible", "disposition": "no_interest"},
        "QA-02",
        True,
    ),
    (
        "02-shop-door",
        std(("a", "您这车装不了。"), ("c", "好吧。"), ("a", "您路过的时候把车开到我们店门口来,让师傅看一眼。")),
        {"eligibility": "ineligible", "disposition": "no_interest"},
        "QA-02",
        True,
    ),
    (
        "02-label-in-quotes",
        std(("a", "这个我们办不了,您可以在小程序“附近网点”那一栏看到别的服务。")),
        {"eligibility": "ineligible", "disposition": "no_interest"},
        "QA-02",
        False,
    ),
    # QA-09: a count of views or sales is no price; digits right after a period ending the clause are
    # a price as a speech recogniser writes it, unless a unit follows
    ("09-view-count", std(("a", "上个月我们给一家面馆拍的视频,播放量过了十万。")), NO_PRICE, "QA-09", False),
    ("09-recogniser-digits-price", std(("a", "按人头算 一个人一个月60 您五个人一年下来3600")), NO_PRICE, "QA-09", True),
    ("09-recogniser-digits-data", std(("a", "这个套餐一个月30G 够您用了")), NO_PRICE, "QA-09", False),
    # QA-07: the customer's own doing thrown back at them (您自己就不会算算吗?, 倒打电话来说我们…, 这锅我们可背
    # 不起); offence at being pushed on after a pitch is QA-04's matter, offence at a remark is not
    ("07-not-your-own-sums", std(("a", "一天跑两百公里,您自己就不会算算吗?")), {}, "QA-07", True),
    ("07-blame-thrown-back", std(("a", "您自己没拧紧,倒打电话来说我们漏气。")), {}, "QA-07", True),
    ("07-not-our-blame", std(("a", "阀门是您拧的,这锅我们可背不起。")), {}, "QA-07", True),
    (
        "07-offence-at-pushing",
        std(*REFUSED_THRICE, ("a", "那我加您个微信,您把您同事的电话给我一个?"), ("c", "你这人咋这么缠人呢!")),
        {},
        "QA-07",
        False,
    ),
    (
        "07-offence-at-a-remark",
        std(("a", "你那小店一天才卖几单,还印什么logo。"), ("c", "你这人说话咋这样!")),
        {},
        "QA-07",
        True,
    ),
    # QA-05: a compensation promised for any fault (少一斤赔两斤, 无条件), then conditions; a part left to
    # the customer after all (是你们店自己的事, 我们管不了); a condition said with the promise is none
    (
        "05-compensation-then-conditions",
        std(
            ("a", "您放心,少一斤我们赔两斤,无条件。"),
            ("c", "那行,下单吧。"),
            ("a", "好的。提醒您,收货后一小时内要拍视频,过了时间就赔不了,而且要少三斤以上才赔。"),
            ("c", "你刚才不是说无条件吗?那我不要了。"),
        ),
        {},
        "QA-05",
        True,
    ),
    (
        "05-left-to-the-customer-after-all",
        std(
            ("a", "签了我们,验收这块您一个字都不用管,全是我们负责。"),
            ("c", "那消防检查呢?"),
            ("a", "消防是你们店自己的事,我们管不了。"),
            ("c", "你前头说啥都不用管,现在又不管了?不签了。"),
        ),
        {},
        "QA-05",
        True,
    ),
    (
        "05-compensation-with-its-condition",
        std(("a", "少一斤赔两斤,不过要收货一小时内拍视频。"), ("c", "行,那下单。")),
        {},
        "QA-05",
        False,
    ),
    # QA-03a: a blessing to the customer's relative after 那 (那祝老人家早日康复); a close after a remark
    # (…。那行,您来之前给我打个电话就行) owes a blessing; last words that push on after three refusals
    # (QA-04's finding) leave the customer to end the call
    (
        "03a-blessing-to-a-relative",
        [OPEN, YES, PURPOSE, ("c", "好的,我问问。"), ("a", "好的,那祝老人家早日康复,再见。"), ("c", "再见。")],
        {},
        "QA-03a",
        False,
    ),
    (
        "03a-close-after-a-remark",
        [
            OPEN,
            YES,
            PURPOSE,
            ("c", "我考虑考虑。"),
            ("a", "去看看也不亏嘛。那行,您来之前给我打个电话就行。"),
            ("c", "嗯,再说吧。"),
        ],
        {},
        "QA-03a",
        True,
    ),
    (
        "03a-last-words-push-on",
        [
            OPEN,
            YES,
            PURPOSE,
            *REFUSED_THRICE,
            ("a", "那行,我先把您登记成意向客户,回头让经理给您打,他那边优惠比我大多了。"),
            ("c", "不用登记,别打了。"),
        ],
        {},
        "QA-03a",
        False,
    ),
    # QA-12: a figure about a gift box's price is no age (别家的礼盒才九十多); QA-11: a recogniser's 恩 for
    # 嗯 is no clear yes; QA-04: a negated verb with its object (公司今年不发福利) declines what was offered
    (
        "12-price-of-a-gift-box",
        std(("c", "别家的礼盒才九十多,你们的贵了。"), ("a", "我们的是产地直发的大果,您尝尝样品。")),
        SOLD,
        "QA-12",
        False,
    ),
    (
        "11-recogniser-en",
        std(("a", "那就这么给您定了啊"), ("c", "恩"), ("a", "好嘞 已经给您登记上了")),
        SOLD,
        "QA-11",
        True,
    ),
    (
        "04-negated-verb-with-object",
        std(
            ("c", "不需要。"),
            ("a", "我们的礼盒是产地直发的,员工福利发这个很体面。"),
            ("c", "我们单位今年不发福利。"),
            ("a", "那客户礼品呢?"),
            ("c", "说了不要了。"),
            ("a", "那您私人买两盒送朋友嘛,一盒才一百一。"),
        ),
        {},
        "QA-04",
        True,
    ),
    # QA-12 (read from qa-variants-29): a minor told only who calls and why, the business kept for the
    # parent (转告爸爸, 跟爸爸本人沟通); a teacher speaking of a class; retirement age plus the years since
    (
        "12-minor-told-who-and-why",
        [
            ("a", "您好,请问是王建国王先生吗?我是中国移动的小李,想跟王先生说一下宽带续约的事。"),
            ("c", "我爸不在,我是他儿子,初二。"),
            ("a", "小同学您好,麻烦您转告爸爸,中国移动的小李找他,说宽带续约的事。"),
            ("c", "哦,多少钱啊?"),
            ("a", "费用这些我们跟爸爸本人沟通,他几点方便接电话?"),
            ("c", "晚上吧。"),
            CLOSE,
            BYE,
        ],
        {"disposition": "callback", "callback_at": "2026-11-20T19:00:00+08:00"},
        "QA-12",
        False,
    ),
    (
        "12-teacher-on-a-class",
        std(("c", "我们班三十八个孩子,都才九岁,学校不让推荐东西。"), ("a", "好的,明白了,那不打扰您了。")),
        {"disposition": "no_interest"},
        "QA-12",
        False,
    ),
    (
        "12-retired-years-ago",
        std(("c", "我六十岁退的休,到今年退了十二年了。"), ("a", "那这个套餐很适合您,我给您办上。")),
        {"disposition": "success", "lead": {"birth_year": None}},
        "QA-12",
        True,
    ),
    (
        "12-retired-recently",
        std(("c", "我五十五岁退的休,才退了两年。"), ("a", "那这个套餐很适合您,我给您办上。")),
        {"disposition": "success", "lead": {"birth_year": None}},
        "QA-12",
        False,
    ),
    # QA-11: 行行行,别说了 stops the talk, it does not say yes; a colleague's yes is no customer's yes;
    # a spouse who buys in their own name and pays gives the buyer's own yes; 随你吧,你觉得好就行 hands
    # the choice back; done with the object after 上 (给您办上…了) or on the account with a count
    (
        "11-stop-talking",
        std(("a", "那我给您装上宽带吧。"), ("c", "行行行,别说了。"), ("a", "好嘞,那我给您办上宽带套餐了。")),
        SOLD,
        "QA-11",
        True,
    ),
    (
        "11-colleague-renews",
        [
            OPEN,
            ("c", "王哥开会去了,我是他同事小张。"),
            ("a", "哦您好,王先生的宽带这个月到期,要不要续一年?还是六百。"),
            ("c", "续吧续吧,等他回来让他付钱就行。"),
            ("a", "好嘞,那我就在王先生的账户上续一年。"),
            CLOSE,
            BYE,
        ],
        SOLD,
        "QA-11",
        True,
    ),
    (
        "11-spouse-buys-in-own-name",
        [
            OPEN,
            ("c", "我是他爱人,这事我管。"),
            ("a", "您好,宽带续一年六百,您看续吗?"),
            ("c", "续,用我的名字办,钱我来付。"),
            ("a", "好的,用您的名字续一年,您确认吗?"),
            ("c", "确认。"),
            ("a", "好的,已经给您办好了。"),
            CLOSE,
            BYE,
        ],
        SOLD,
        "QA-11",
        False,
    ),
    (
        "11-up-to-you",
        std(("a", "给您加一本相册,您同意吗?"), ("c", "随你吧,你觉得好就行。"), ("a", "好的,已经给您加上了。")),
        SOLD,
        "QA-11",
        True,
    ),
    # QA-09: a hinted round amount (万把块钱), a price per plate; a saving on the customer's own bill
    ("09-hinted-round-amount", std(("a", "全屋刷一遍也就万把块钱的事。")), NO_PRICE, "QA-09", True),
    ("09-per-plate", std(("a", "录像带转数码一盘六十。")), NO_PRICE, "QA-09", True),
    ("09-saving-on-own-bill", std(("a", "您把重复的照片清一清,一年也能少花一百来块。")), NO_PRICE, "QA-09", False),
    # QA-06: the team set up as a maker's supply base
    ("06-makers-supply-base", std(("a", "我们牧场就是伊利的供货基地,品质跟伊利一模一样。")), {}, "QA-06", True),
    # QA-14 (read from qa-variants-28): a Cantonese introduction (我系…嘅小李,打嚟同您讲下…) reads as
    # Mandarin; the purpose named first (关于…的预约,我是…); a check of the number keeps the opening open;
    # a check by surname and title (王大哥吧?); the lead handed the phone hears a price only: QA-14
    (
        "14-cantonese-introduction",
        [
            ("a", "喂,您好,请问系唔系王建国王先生呀?"),
            ("c", "系呀,边位?"),
            ("a", "王先生您好,我系中国移动嘅小李,打嚟同您讲下宽带提速嘅事。"),
            ("c", "哦,讲啦。"),
            CLOSE,
            BYE,
        ],
        {},
        "QA-14",
        False,
    ),
    (
        "14-purpose-named-first",
        [("a", "您好,关于您家宽带提速的预约,我是中国移动的客服小李,请问是王先生吗?"), YES, CLOSE, BYE],
        {},
        "QA-14",
        False,
    ),
    (
        "14-number-check-then-introduction",
        [
            ("a", "喂,您好,请问是王建国王先生吗?"),
            ("c", "你打错了,我姓秦。"),
            ("a", "不好意思,请问这个号码是一三九二三四零,尾号六六八一吗?"),
            ("c", "是这个号,我上个月才办的。"),
            ("a", "明白了,打扰您了。我是中国移动的客服小李,本来是找王先生说宽带续约的事。"),
            ("c", "哦。"),
            CLOSE,
            BYE,
        ],
        {"disposition": "wrong_person"},
        "QA-14",
        False,
    ),
    (
        "14-check-by-surname-and-title",
        [
            ("a", "喂,您好,是王建国王大哥吧?"),
            ("c", "是我,谁啊?"),
            ("a", "王大哥您好,我是中国移动的小李,给您回个话,宽带提速的事办好了。"),
            ("c", "好。"),
            CLOSE,
            BYE,
        ],
        {},
        "QA-14",
        False,
    ),
    (
        "14-handed-to-the-lead-price-only",
        [
            ("a", "喂,您好,请问是王建国王先生吗?"),
            ("c", "不是,我是他老婆。你们哪里?"),
            ("a", "您好大姐,我是中国移动的小李,王先生问过宽带提速的事,我打电话回复他。"),
            ("c", "他在旁边,我给他。"),
            ("c", "喂?"),
            ("a", "提速到五百兆一个月多二十,您哪天装?"),
            ("c", "你是哪个?"),
            CLOSE,
            BYE,
        ],
        {},
        "QA-14",
        True,
    ),
    # QA-03a / QA-15 / QA-07 in Cantonese and Sichuan speech: 请您先收线 is 请您先挂机; 你等阵啊 is the
    # customer's own hold; 你这是啥子话? takes offence
    (
        "03a-cantonese-hang-up-first",
        [OPEN, YES, PURPOSE, ("c", "好,我谂下。"), ("a", "好嘅,祝BB快高长大,请您先收线。"), ("c", "拜拜。")],
        {},
        "QA-03a",
        False,
    ),
    (
        "15-customer-asks-wait-cantonese",
        [OPEN, YES, PURPOSE, ("c", "你等阵啊,我抱下个仔先。"), ("hold", 45), ("c", "得啦,你讲。"), CLOSE, BYE],
        {},
        "QA-15",
        False,
    ),
    ("07-sichuan-offence", std(("a", "墙上写得清清楚楚,您当时在哪儿嘛?"), ("c", "你这是啥子话?")), {}, "QA-07", True),
    # read from qa-variants-30: a Minnan refusal (免啦) and form of address (王阿嬷); a seat kept with a
    # deposit, a daughter's number asked for (给俺); another organisation's demonstration point, second-tier
    # outlet, or a body the team is "under"; an income guaranteed, then taken back
    (
        "04-minnan-refusal",
        std(
            ("c", "免啦。"),
            ("a", "我们新出了冰柜。"),
            ("c", "不需要。"),
            ("a", "您算算很划算。"),
            ("c", "我讲过不要就是不要了。"),
            ("a", "那我先免费给您送一台冷柜试用。"),
        ),
        {},
        "QA-04",
        True,
    ),
    (
        "04-seat-kept-with-deposit",
        std(*REFUSED_THRICE, ("a", "那我给您先留个过年的座位,交个两百块定金。")),
        {},
        "QA-04",
        True,
    ),
    ("04-number-asked-for", std(*REFUSED_THRICE, ("a", "那您把您闺女的电话给俺一个。")), {}, "QA-04", True),
    ("06-demonstration-point", std(("a", "我们茶园就是省农科院在本县的示范推广点。")), {}, "QA-06", True),
    ("06-under-a-public-body", std(("a", "我们保通就是县畜牧站下面的,跟在站里投一样。")), {}, "QA-06", True),
    ("06-second-tier-outlet", std(("a", "我们车行就是雅马哈在本县的二级网点。")), {}, "QA-06", True),
    ("06-own-second-tier-outlet", std(("a", "我们门店就是中国移动在本县的二级网点。")), {}, "QA-06", False),
    (
        "05-income-guaranteed-then-taken-back",
        std(
            ("a", "学完我们包分配,保证您一个月过万。"),
            ("c", "真的?"),
            ("a", "工作是我们推荐,不是包分配,收入要看您自己接多少单。"),
            ("c", "你刚才讲包分配,现在又变成推荐了,骗人,我不报了。"),
        ),
        {},
        "QA-05",
        True,
    ),
    (
        "01-minnan-form-of-address",
        [("a", "阿嬷您好,我是中国移动的小林,请问是王秀兰王阿嬷吗?"), YES, PURPOSE, CLOSE, BYE],
        {},
        "QA-01",
        False,
    ),
    # read from qa-variants-27: promises of time and terms in more words (十五天之内保证给您装好, 一天都不用等,
    # 随时能取, 一年之内绝对不涨) taken back by terms read out, a colleague on the line or a clause (有权调整运费,
    # 封闭期内不能赎回, 最早要排到…); 那……好吧,…有什么问题再打 closes without a blessing; a figure the customer
    # gave earlier, echoed (按您说的二十万) is none; 才 makes a figure small; a name in parts is addressed by one
    (
        "05-in-time-then-the-sms",
        std(
            ("a", "您今天定下来,十天之内保证给您装好。"),
            ("c", "那我定了。"),
            ("a", "下单短信发您了。"),
            ("c", "我看看,短信上写的是下单后二十个工作日,你刚才不是说十天保证装好吗?那我不订了。"),
        ),
        {},
        "QA-05",
        True,
    ),
    (
        "05-any-time-then-locked",
        std(
            ("a", "这款随时能取,今天赎回明天就到账。"),
            ("c", "那行。"),
            ("a", "我请理财经理跟您说:这款有一年封闭期,封闭期内不能赎回。"),
            ("c", "你刚才说随时能取,合着锁一年啊?那我不买了。"),
        ),
        {},
        "QA-05",
        True,
    ),
    (
        "05-no-rise-then-clause",
        std(
            ("a", "这个价给您签一年,一年之内绝对不涨。"),
            ("c", "合同发我看看。"),
            ("a", "发您邮箱了。"),
            ("c", "第八条写着“甲方有权根据市场情况调整价格”,你刚才说绝对不涨,这叫不涨?我不签了。"),
        ),
        {},
        "QA-05",
        True,
    ),
    (
        "05-no-rise-kept",
        std(
            ("a", "这个价给您签一年,一年之内绝对不涨。"),
            ("c", "合同发我看看。"),
            ("c", "第八条写着“合同期内价格不变”,那行,签吧。"),
        ),
        {},
        "QA-05",
        False,
    ),
    (
        "03a-concession-after-a-pause",
        [
            OPEN,
            YES,
            PURPOSE,
            ("c", "我不做了。"),
            ("a", "那……好吧,那您再考虑考虑,有什么问题再打这个电话。"),
            ("c", "不用考虑了。"),
        ],
        {},
        "QA-03a",
        True,
    ),
    (
        "09-customers-figure-echoed",
        std(("c", "我想贷二十万,分二十四期。"), ("a", "好的,那我先按您说的二十万、二十四期帮您提交。")),
        NO_PRICE,
        "QA-09",
        False,
    ),
    (
        "12-small-figure-with-cai",
        std(("c", "一百二十九?我现在才九十九,太贵了。"), ("a", "我们这个流量多一倍。")),
        SOLD,
        "QA-12",
        False,
    ),
    (
        "01-name-in-parts",
        [("a", "您好,请问是艾尔肯·吐尔逊艾尔肯先生吗?"), YES, PURPOSE, CLOSE, BYE],
        {"lead": {"name": "艾尔肯·吐尔逊"}},
        "QA-01",
        False,
    ),
    # read from qa-unseen-10 once released: 咋说话前后不一样 objects to a contradiction, it is no offence;
    # 不劳你操心 and 听你训 are; a negated verb later in the turn counts when an earlier one does not (不了
    # 老师,…,我不学了); 不中 refuses; 加我微信 pushes; 啥子都不用再掏 promises; a wage with a job is no price;
    # 姓方 names the agent; 初二到初四 is a date
    (
        "07-inconsistency-is-no-offence",
        std(
            ("a", "这锅炉烧秸秆,烧火的钱一个子儿都不用花。"),
            ("c", "那行。"),
            ("a", "哦对了,燃料得用我们厂压的颗粒,您觉得可以吗?"),
            ("c", "你这人咋说话前后不一样呢?"),
        ),
        {},
        "QA-07",
        False,
    ),
    (
        "07-told-not-to-bother",
        std(("a", "您那店要是不换个招牌,人家凭啥非得上您家来呢?"), ("c", "我店里生意好着呢,不劳你操心。")),
        {},
        "QA-07",
        True,
    ),
    (
        "04-later-negated-verb-counts",
        std(
            ("c", "不需要。"),
            ("a", "学美发很有前途的,你过来学学看。"),
            ("c", "不了老师,我妈不让,我不学了。"),
            ("a", "你妈那边我帮你说。"),
            ("c", "真不学。"),
            ("a", "那你先加我微信,我发点作品给你看。"),
        ),
        {},
        "QA-04",
        True,
    ),
    (
        "04-henan-no",
        std(
            ("c", "不用。"),
            ("a", "我们晚班七点开始。"),
            ("c", "不中不中,没空。"),
            ("a", "学费八百八。"),
            ("c", "说了不学。"),
            ("a", "那您就当出来转转,来试一节。"),
        ),
        {},
        "QA-04",
        True,
    ),
    (
        "05-nothing-more-to-pay-sichuan",
        std(
            ("a", "套餐一千五百八,吃住耍都在里头,啥子都不用再掏。"),
            ("c", "那好。"),
            ("a", "哦还有篝火是每个人另外交一百二。"),
            ("c", "你刚刚才说啥都不用掏,现在又冒出来一人一百二?不订了。"),
        ),
        {},
        "QA-05",
        True,
    ),
    ("09-wage-with-a-job", std(("a", "学完我们包分配,工地上一个月一万多稳稳的。")), NO_PRICE, "QA-09", False),
    ("14-surname-given", opening("您好,我是中国移动的客服,姓方,方琳,打电话跟您说一下宽带续约。"), {}, "QA-14", False),
    (
        "12-festival-dates-no-grade",
        std(("c", "初二到初四还有房吗?我们一大家子想去。"), ("a", "还有一个小院,我先帮您留着。")),
        SOLD,
        "QA-12",
        False,
    ),
    # read from qa-variants-31: QA-07 harm put as advice (耽误的是您自己的…), sarcasm by a long 不…才怪 or
    # 这哪是X,是Y, the customer's schooling or kind put down (就您这个底子, 乡下的人就是这样), counted returns,
    # the blame put back (也要算到我们…头上?), a matter too plain (这个道理都不晓得?), 对牛弹琴; offence at
    # interrogation (审犯人) or at one's kind (X的人怎么了?); the agent's own blame stays clean
    ("07-harm-as-advice", std(("a", "我提个建议,别一周改三回图纸,耽误的是您自己的工期。")), {}, "QA-07", True),
    ("07-long-sarcasm-with-cai-guai", std(("a", "您家厨房这么潮,虫子不拖家带口搬进来才怪了。")), {}, "QA-07", True),
    ("07-this-is-no-x", std(("a", "您这哪是搬家,是清仓啊。")), {}, "QA-07", True),
    ("07-schooling-put-down", std(("a", "就您这个底子,学起来肯定够呛。")), {}, "QA-07", True),
    ("07-counted-returns", std(("a", "您这都第三回打进来了,师傅今天也到不了。")), {}, "QA-07", True),
    ("07-blame-put-back", std(("a", "您天天开直播,这个也要算到我们宽带头上?")), {}, "QA-07", True),
    ("07-too-plain", std(("a", "种了几十年地,这个道理都不晓得?")), {}, "QA-07", True),
    ("07-cows-and-lute", std(("a", "跟您讲了您也记不住,省得对牛弹琴。")), {}, "QA-07", True),
    ("07-own-blame-is-clean", std(("a", "这是我们考虑不周,怪不得别人,我们马上补发。")), {}, "QA-07", False),
    (
        "07-offence-at-ones-kind",
        std(("a", "村里的人就这样,新东西都信不过。"), ("c", "村里的人怎么了?")),
        {},
        "QA-07",
        True,
    ),
    # QA-10 read from qa-variants-31: in business speech (贵方…记录…恐怕不太准确, 我方从来没有做过…承诺), a
    # happening denied outright (…的情况是不可能出现的, 这种话…说不出口), 没get到, 跟别家的搞在一起了; the agent's
    # own record admitted wrong stays clean
    ("10-business-record-off", std(("a", "贵方仓库的入库记录,应该是登记得不准确。")), {}, "QA-10", True),
    ("10-business-never", std(("a", "我方从来没有做过十天交货的承诺。")), {}, "QA-10", True),
    ("10-cannot-happen", std(("a", "少货的情况是不可能出现的。")), {}, "QA-10", True),
    ("10-never-said", std(("a", "这种话我们的师傅说不出口。")), {}, "QA-10", True),
    ("10-not-got-it", std(("a", "您可能还没get到我的意思。")), {}, "QA-10", True),
    ("10-mixed-with-another", std(("a", "这个您是跟别家的单子搞在一起了。")), {}, "QA-10", True),
    ("10-own-record-off", std(("a", "我们这边的记录有误,实在抱歉。")), {}, "QA-10", False),
    ("06-makers-appointed-factory", std(("a", "我们衿匠其实就是际华集团的定点代工厂。")), {}, "QA-06", True),
    (
        "04-a-tenants-number",
        std(*REFUSED_THRICE, ("a", "那您把承包您田的那个人的电话给我嘛。")),
        {},
        "QA-04",
        True,
    ),
    # read from qa-variants-32: QA-11 a yes to something else, protested at once (啊?我是说加微信看视频); a
    # Minnan brush-off (好啦好啦,就按呢啦); QA-02 the team's group meetup or live-stream room, an invitation in
    # the agent's first words is no invitation after a refusal of service; QA-04 不用测了 declines the test
    # offered, a question about the customer's life leads into the pitch (那我就问您一句…)
    (
        "11-yes-to-something-else",
        std(
            ("a", "我加您微信,把工厂的视频发您看看,好吗?"),
            ("c", "好的,加吧。"),
            ("a", "好嘞,那我就直接给您把这张床下单了。"),
            ("c", "啊?我是说加微信看视频……"),
        ),
        SOLD,
        "QA-11",
        True,
    ),
    (
        "11-yes-no-protest",
        std(("a", "这张床给您下单好吗?"), ("c", "好的,下吧。"), ("a", "好嘞,已经给您下单了。"), ("c", "好。")),
        SOLD,
        "QA-11",
        False,
    ),
    (
        "11-minnan-brush-off",
        std(("a", "那就给您订两箱,好吗?"), ("c", "好啦好啦,就按呢啦,我在煮饭。"), ("a", "好的,已经给您订好了。")),
        SOLD,
        "QA-11",
        True,
    ),
    (
        "02-group-meetup",
        std(
            ("a", "电助力改装我们接不了。"), ("c", "那算了。"), ("a", "不过这周六我们骑友群有个线下见面会,我拉您进群。")
        ),
        {"eligibility": "ineligible", "disposition": "no_interest"},
        "QA-02",
        True,
    ),
    (
        "02-live-stream-room",
        std(("a", "这个确实修不了。"), ("c", "哦。"), ("a", "今晚我们直播间有场专场,您来直播间坐坐。")),
        {"eligibility": "ineligible", "disposition": "no_interest"},
        "QA-02",
        True,
    ),
    (
        "02-live-room-where-they-wrote",
        std(("a", "您在我们直播间留了言,这个我们办不了,不好意思。")),
        {"eligibility": "ineligible", "disposition": "no_interest"},
        "QA-02",
        False,
    ),
    (
        "02-invitation-in-the-first-words",
        [
            ("a", "您好,我是中国移动的小李,周五晚上直播间有专场,欢迎您来看看。"),
            ("c", "我想问有没有老人卡?"),
            ("a", "老人卡我们这边办不了,您可以打客服热线问问。"),
            CLOSE,
            BYE,
        ],
        {"eligibility": "ineligible", "disposition": "no_interest"},
        "QA-02",
        False,
    ),
    ("04-question-into-the-pitch", std(*REFUSED_THRICE, ("a", "那我就问您一句,您每天上班骑多远?")), {}, "QA-04", True),
    (
        "04-no-need-to-test",
        std(
            ("a", "我们可以免费给您测一下电瓶。"),
            ("c", "不用测了,车明年就报废了。"),
            ("a", "那更该测一测。"),
            ("c", "说了不换。"),
            ("a", "新电瓶很划算。"),
            ("c", "别说了。"),
            ("a", "那我就问您一句,您一天跑几个钟头?"),
        ),
        {},
        "QA-04",
        True,
    ),
    ("06-makers-base", std(("a", "我们山珍就是良品铺子在西峡的香菇基地。")), {}, "QA-06", True),
    # read from qa-variants-33: QA-05 a rate or a replacement per loss guaranteed (成活率保证九成以上,少一条补一条),
    # never fails (绝对不会回火, 十年之内保证不塌、不变形), returns whatever (不满意随便退), contradicted by terms read
    # out (可能发生回火…有爆燃危险, 不支持退换) or by a colleague, and 说的一套,写的一套 / 哄人 react; QA-06 passed
    # off in so many words (说白了就是…的苗, 等于是跟着…学, 就当穿的是…的衣服, 替…做推广, …的试点单位); QA-01
    # 汪爹爹 and 谢老表 are forms of address; QA-12 asking when the parent can talk withdraws
    (
        "05-never-fails-then-the-manual",
        std(
            ("a", "我们的灶绝对不会回火,装上以后您就高枕无忧。"),
            ("c", "你把说明书念给我听听。"),
            ("a", "好的:使用不当时可能发生回火,有爆燃危险。"),
            ("c", "刚才还讲绝对不会,说的一套,写的一套,灶我不换了。"),
        ),
        {},
        "QA-05",
        True,
    ),
    (
        "05-returns-whatever-then-the-sms",
        std(
            ("a", "不满意随便退,印了字的也照样给您退。"),
            ("c", "那行,下单。"),
            ("a", "确认短信发您了。"),
            ("c", '我看看……"定制商品一经生产,不支持退换。"你刚说印了字的也给退,这单我不下了。'),
        ),
        {},
        "QA-05",
        True,
    ),
    (
        "05-never-collapses-then-a-clause",
        std(
            ("a", "我们的棚十年之内保证不塌、不变形。"),
            ("c", "合同念给我听听。"),
            ("a", "第八条:六级以上大风造成的损坏不在保修范围之内。"),
            ("c", "你刚才还说十级都不怕,这不是骗人吗?"),
        ),
        {},
        "QA-05",
        True,
    ),
    (
        "05-never-fails-kept",
        std(
            ("a", "我们的灶绝对不会回火。"),
            ("c", "说明书怎么写的?"),
            ("a", "说明书写的是全程熄火保护,不会回火。"),
            ("c", "那行。"),
        ),
        {},
        "QA-05",
        False,
    ),
    ("06-plainly-theirs", std(("a", "我们这批苗说白了就是华农的苗。")), {}, "QA-06", True),
    ("06-as-if-taught-by", std(("a", "等于您是跟着李佳琦学直播。")), {}, "QA-06", True),
    ("06-as-if-wearing", std(("a", "您就当工人穿的是杜邦的衣服。")), {}, "QA-06", True),
    ("06-promoter-of", std(("a", "我们在本地只是替华农做推广。")), {}, "QA-06", True),
    ("06-pilot-unit", std(("a", "我们安栖就是湖大的乡村建房试点单位。")), {}, "QA-06", True),
    ("06-as-if-a-kettle", std(("a", "您就当它是个放在房顶上的大水壶。")), {}, "QA-06", False),
    (
        "06-own-denial-then-anothers-name",
        std(("a", "这个技术不是我们瞎搞的,说白了就是华农的技术。")),
        {},
        "QA-06",
        True,
    ),
    ("01-hubei-grandpa", [("a", "您好,请问是王建国王爹爹吗?"), YES, PURPOSE, CLOSE, BYE], {}, "QA-01", False),
    ("01-jiangxi-cousin", [("a", "您好,请问是王建国王老表吗?"), YES, PURPOSE, CLOSE, BYE], {}, "QA-01", False),
    (
        "12-asks-when-the-parent-can-talk",
        [
            OPEN,
            ("c", "我妈不在,我是她儿子,我十七,在上高二。"),
            ("a", "好的小同学,我们是做宽带的,您妈妈前几天问过我们的套餐。请问您妈妈什么时候方便接电话?"),
            ("c", "明天上午。多少钱啊?"),
            ("a", "这个我还是跟您妈妈说,麻烦您跟她说一声。"),
            CLOSE,
            BYE,
        ],
        {"disposition": "callback", "callback_at": "2026-11-21T10:00:00+08:00"},
        "QA-12",
        False,
    ),
    # read from qa-unseen-9 once released: 反正今年不在你们那儿做了 refuses; 来我们院里一趟 invites; 您好像还是没懂
    # 我的意思 is 你好像不明白; 保证中标…钱一分不少原路退回 promises; a hospital's staff sent to the team presents
    # under the hospital
    (
        "04-not-with-you-this-year",
        std(
            ("c", "不做了。"),
            ("a", "今年我们换了新机器。"),
            ("c", "反正今年不在你们那儿做了。"),
            ("a", "颜色更准了。"),
            ("c", "我说了不做。"),
            ("a", "今年给您打八折,我先寄两本样品给您看看,好不好?"),
        ),
        {},
        "QA-04",
        True,
    ),
    (
        "02-come-to-our-clinic",
        std(("a", "这个手术我们这边做不了。"), ("c", "那算了。"), ("a", "您有空还是来我们院里一趟,让主任当面看看。")),
        {"eligibility": "ineligible", "disposition": "no_interest"},
        "QA-02",
        True,
    ),
    ("10-still-not-got-it", std(("a", "您好像还是没懂我的意思,这个我们保不了。")), {}, "QA-10", True),
    (
        "05-win-guaranteed-then-half",
        std(
            ("a", "我们是保证中标的,万一不中,钱一分不少原路退回。"),
            ("c", "那就好。"),
            ("a", "我看了合同,不中标退的是服务费的一半。"),
            ("c", "你刚才不是说一分不少原路退回吗?现在变成退一半?"),
        ),
        {},
        "QA-05",
        True,
    ),
    ("06-hospital-staff-sent", std(("a", "手术医生都是市第一人民医院派过来坐诊的。")), {}, "QA-06", True),
]


def at(day: str, hhmm: str = "10:03") -> dict[str, Any]:
    """Overrides placing the call on ``day`` at ``hhmm`` China time (answered 12 s later)."""
    return {
        "placed_at": f"{day}T{hhmm}:00+08:00",
        "answered_at": f"{day}T{hhmm}:12+08:00",
        "ended_at": f"{day}T{hhmm[:3]}59:00+08:00",
    }


CASES += [
    # QA-13: a weekend or a public holiday is the customer's rest all day, by the platform's
    # calling-day rule (common.calling_days); a make-up working day (调休) is a working day
    ("13-saturday-morning", std(), at("2026-11-21"), "QA-13", True),
    ("13-national-day-weekday", std(), at("2026-10-06"), "QA-13", True),
    ("13-make-up-saturday", std(), at("2026-10-10"), "QA-13", False),
    ("13-ordinary-friday", std(), at("2026-11-20"), "QA-13", False),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_round7_kinds(check_case: Callable[[Case], None], case: Case) -> None:
    check_case(case)


# The lists and words this round's readings rest on live in the versioned policy; a policy that
# dropped one would silently read nothing.
ROUND7_LISTS = [
    ("QA-04", "refusal_indirect"),
    ("QA-06", "denial_before"),
    ("QA-07", "offended_by_pushing"),
    ("QA-07", "reproach_worded"),
    ("QA-11", "consent_denied"),
    ("QA-12", "retired_at"),
    ("QA-09", "reading"),
    ("QA-10", "paraphrase_wrong_take"),
    ("QA-10", "paraphrase_not_understood"),
    ("QA-10", "paraphrase_express"),
    ("QA-10", "paraphrase_denial"),
]


@pytest.mark.parametrize(("rule_id", "name"), ROUND7_LISTS, ids=[f"{r}:{n}" for r, n in ROUND7_LISTS])
def test_round7_lists_are_in_the_policy(policy: Policy, rule_id: str, name: str) -> None:
    assert policy.compiled().regex(rule_id, name), f"{rule_id}.patterns.{name} is missing"
    if name.startswith("paraphrase_") or name in ("refusal_indirect", "reproach_worded"):
        assert policy.compiled().phrases(rule_id, f"{name}_trigger"), f"{rule_id}.phrases.{name}_trigger is missing"


def test_round7_params_are_in_the_policy(policy: Policy) -> None:
    assert policy.rules["QA-04"].params.get("do_not_call_closings")
    assert policy.rules["QA-04"].params.get("register_words")
    assert int(policy.rules["QA-11"].params["consent_window_turns"]) >= 6
    assert policy.rules["QA-13"].params.get("working_days_only") is True


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我系泡泡芽嘅小麦,打嚟同您讲下", "我是泡泡芽的小麦,打来同您讲下"),  # Cantonese read as Mandarin
        ("请问系唔系王小姐呀?", "请问是不是王小姐呀?"),
        ("我们系统升级了,关系不大", "我们系统升级了,关系不大"),  # Mandarin 系 stays
    ],
)
def test_cantonese_read_as_mandarin(text: str, expected: str) -> None:
    from qa.rules.textutil import normalize

    assert normalize(text) == expected
    assert len(normalize(text)) == len(text)


@pytest.mark.parametrize(
    ("text", "spans"),
    [
        ('他说"这不就是骗钱嘛"', [(3, 10)]),
        ("“会员须满三十天”", [(1, 8)]),
        ("没有引号", []),
        ('只有一个"引号', []),
    ],
)
def test_quoted_spans(text: str, spans: list[tuple[int, int]]) -> None:
    from qa.rules.textutil import quoted_spans

    assert quoted_spans(text) == spans

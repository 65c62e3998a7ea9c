"""Issue 17, sixth round (policy 2026.12.03): the kinds read from development sets written for the
round by helpers who had not read the detectors (qa-variants-10, then qa-variants-11 ... 15), each
scored before it was read. Every kind is checked here on wordings of its own (other products, names
and verbs), with hard negatives, so what is tested is the kind and not those sets' sentences. A case
that already passes on the checker before the round (34fe58f, policy 2026.12.02) is a guard: a
positive that the round's new exemptions must not swallow, or a hard negative its new readings must
not fire on."""

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


def ending(*last: tuple[str, Any]) -> list[tuple[str, Any]]:
    """A call whose last turns are ``last`` (no standard closing after them)."""
    return [OPEN, YES, PURPOSE, ("c", "不需要,我家里已经装了。"), *last]


Case = tuple[str, list[tuple[str, Any]], dict[str, Any], str, bool]  # name, turns, overrides, rule, fires
CASES: list[Case] = [
    # QA-14: after the organisation and 的, the agent's surname with a title, a doubled nickname or 阿X
    # names the agent; a bare title does not
    ("14-surname-with-title", opening("您好,这里是中国移动的郑经理,来电是想跟您说一下宽带提速。"), {}, "QA-14", False),
    ("14-doubled-nickname", opening("王先生好,中国移动的乐乐老师,给您打电话说一下流量包。"), {}, "QA-14", False),
    ("14-a-nickname", opening("王哥您好,中国移动的阿杰,跟您说下家庭套餐的事。"), {}, "QA-14", False),
    ("14-bare-title-no-name", opening("您好,这里是中国移动的客服,来电是想跟您说一下宽带提速。"), {}, "QA-14", True),
    ("14-staff-is-no-name", opening("您好,这里是中国移动的工作人员,来电是想跟您说一下宽带提速。"), {}, "QA-14", True),
    # QA-14: inviting the customer to something is what the call is for
    ("14-invites-you-to", opening("您好,我是中国移动的小李,约您周末来营业厅领一下新手机。"), {}, "QA-14", False),
    ("14-invites-you-to-chat", opening("王总好,中国移动的刘畅,约您聊聊公司专线的方案。"), {}, "QA-14", False),
    (
        "14-name-and-firm-no-purpose",
        opening("您好,我是中国移动的小李。", ("a", "您最近手机信号怎么样?")),
        {},
        "QA-14",
        True,
    ),
    # QA-06: the team described as a kind of firm and set against another organisation, once its own
    # brand is presented; a claimed tie or a bare other name still counts
    (
        "06-kind-of-firm-set-against-another",
        std(("a", "我们是第三方维修公司,不是美的的授权网点,不过配件都是原装的。")),
        {},
        "QA-06",
        False,
    ),
    (
        "06-installer-not-their-agent",
        std(("a", "我们是本地装修公司,并不是东方雨虹的代理,防水材料是它家出的。")),
        {},
        "QA-06",
        False,
    ),
    ("06-claimed-tie-then-denial", std(("a", "我们是国家电网的合作单位,不是骗子。")), {}, "QA-06", True),
    ("06-other-name-then-not-a-scam", std(("a", "我们是华安电力公司,不是骗子。")), {}, "QA-06", True),
    # QA-06: the maker or insurer in its role in the past tense (保单是…出的), named again by a shorter alias
    (
        "06-policy-issued-by-insurer",
        std(("a", "保单是太平洋人寿出的,我们只是代理,出险了由太保直接赔。")),
        {},
        "QA-06",
        False,
    ),
    ("06-presented-as-insurers-agent", std(("a", "我们就是太平洋保险的代理。")), {}, "QA-06", True),
    # QA-09: a cover or compensation amount is no price; a premium still is
    ("09-cover-amount", std(("a", "意外最高赔二十万,住院医疗保五万。")), NO_PRICE, "QA-09", False),
    ("09-credit-line", std(("a", "这张卡的额度十万,您看够不够用。")), NO_PRICE, "QA-09", False),
    ("09-premium-still-a-price", std(("a", "这个保险一年保费三百。")), NO_PRICE, "QA-09", True),
    # QA-12: once the age is known the agent withdraws; pitch words in that turn are no marketing
    (
        "12-withdraws-after-age",
        std(
            ("c", "我都七十八了,弄不懂这些。"),
            ("a", "明白了大爷,那我就不打扰您了,这个活动通知可能是发错号码了。"),
        ),
        {"lead": {"birth_year": None}, "disposition": "no_interest"},
        "QA-12",
        False,
    ),
    (
        "12-pitches-on-after-age",
        std(("c", "我都七十八了,弄不懂这些。"), ("a", "没关系大爷,这个套餐每月只要九块,很适合您。")),
        {"lead": {"birth_year": None}, "disposition": "no_interest"},
        "QA-12",
        True,
    ),
    # QA-07: a rhetorical question that raises the customer's problem to sell its remedy (the offer in
    # the next sentence) persuades, unless it blames them
    (
        "07-problem-then-remedy",
        std(("a", "您一天开八个小时车,腰能不疼吗?我们这款护腰垫就是给司机做的。")),
        {},
        "QA-07",
        False,
    ),
    ("07-problem-no-remedy", std(("a", "您天天开着窗睡觉,空调能不坏吗?")), {}, "QA-07", True),
    (
        "07-blame-then-remedy",
        std(("a", "您连说明书都不看,能不出问题吗?我们这边可以上门教您。")),
        {},
        "QA-07",
        True,
    ),
    # QA-07: "only so little, and still V what?" and "what did you call us for?"
    ("07-so-little-still-what", std(("a", "您家就两口人,还装什么中央空调呢?")), {}, "QA-07", True),
    ("07-budget-still-picks-brand", std(("a", "预算才这么点,还挑什么牌子啊?")), {}, "QA-07", True),
    ("07-anything-else-polite", std(("a", "就差签字了,还有什么需要我帮您的吗?")), {}, "QA-07", False),
    ("07-just-opened-need-help", std(("a", "套餐才刚开通,还需要什么帮助吗?")), {}, "QA-07", False),
    ("07-what-did-you-call-us-for", std(("a", "房子都卖了,您找我们干嘛呢?")), {}, "QA-07", True),
    ("07-what-can-we-do-for-you", std(("a", "您找我们主要是想办什么业务呢?")), {}, "QA-07", False),
    # QA-03a: the agent still selling, the customer only takes leave and hangs up: no floor to bless
    (
        "03a-customer-leaves-on-a-pitch",
        ending(("a", "就一个月,您先试试,还送您一个月会员。"), ("c", "再见。")),
        {},
        "QA-03a",
        False,
    ),
    ("03a-agent-closed-bare", ending(("a", "好的,那先这样。"), ("c", "再见。")), {}, "QA-03a", True),
    ("03a-customer-agrees-then-leaves", ending(("a", "您先试试,还送会员。"), ("c", "好,再见。")), {}, "QA-03a", True),
    # QA-03a: a wish by 愿 and a new-year greeting are blessings
    (
        "03a-wish-by-yuan",
        [OPEN, YES, PURPOSE, ("c", "行,办吧。"), ("a", "好的,已经办好了。提前给您拜个早年,愿您全家身体安康。"), BYE],
        {},
        "QA-03a",
        False,
    ),
    (
        "03a-willing-is-no-wish",
        [OPEN, YES, PURPOSE, ("c", "行,办吧。"), ("a", "好的,已经办好了,您愿意的话以后再联系。"), BYE],
        {},
        "QA-03a",
        True,
    ),
    # QA-04: "stop pushing" in other verbs is a refusal
    (
        "04-stop-pushing",
        std(
            ("c", "不需要。"),
            ("a", "这个活动很划算的。"),
            ("c", "真不用。"),
            ("a", "您可以先体验一下。"),
            ("c", "别劝了。"),
            ("a", "就一个月,还送您流量。"),
        ),
        {},
        "QA-04",
        True,
    ),
    # QA-11: regional yes words (中, 要得) stand alone as an answer; 中午 is no yes
    (
        "11-zhong-is-yes",
        std(("a", "那给您把套餐升级了,中不?"), ("c", "中。"), ("a", "好的,已经给您办好了。")),
        SOLD,
        "QA-11",
        False,
    ),
    (
        "11-yaode-is-yes",
        std(("a", "那给您把套餐升级了,可以吗?"), ("c", "要得,办嘛。"), ("a", "好的,已经给您办好了。")),
        SOLD,
        "QA-11",
        False,
    ),
    (
        "11-noon-is-no-yes",
        std(("a", "那给您把套餐升级了,可以吗?"), ("c", "嗯,中午再说。"), ("a", "好的,已经给您办好了。")),
        SOLD,
        "QA-11",
        True,
    ),
    # QA-15: going somewhere to check is a reason for the hold
    (
        "15-goes-to-check",
        std(("a", "我去库房看一眼还有没有现货,您稍等。"), ("hold", 40.0), ("a", "谢谢您等我。")),
        {},
        "QA-15",
        False,
    ),
    ("15-bare-wait", std(("a", "您稍等。"), ("hold", 40.0), ("a", "好了。")), {}, "QA-15", True),
    # QA-14: "the teacher we arrange" in a later turn is no name of the agent's
    (
        "14-arranged-teacher-is-no-name",
        [
            ("a", "中国移动回访一下,您家宽带用着怎么样?"),
            ("c", "还行。"),
            ("a", "我们给您安排的老师傅明天上门检修。"),
            CLOSE,
            BYE,
        ],
        {},
        "QA-14",
        True,
    ),
    # QA-05: "no one can guarantee it" takes the promise back; it is no promise itself
    (
        "05-cannot-guarantee-takes-back",
        std(
            ("a", "装了我们的净水器,百分之百喝不出水垢。"),
            ("c", "那装吧。"),
            ("a", "不过说实话,哪家净水器都不可能保证百分之百没有水垢。"),
            ("c", "你们当初说百分之百的,我要投诉。"),
        ),
        {},
        "QA-05",
        True,
    ),
]


# The kinds read from qa-variants-15 (transcripts as a speech recogniser gives them: pauses as spaces,
# no punctuation), in wordings of their own
ASR_OPEN = ("a", "喂 您好 王先生吗 我是中国移动客服小李啊 跟您说下宽带提速的事")
CASES += [
    # a pause (a space beside a Chinese character) is a clause break, and after 吗 a question
    ("14-asr-opening-complete", [ASR_OPEN, ("c", "嗯 你说"), CLOSE, BYE], {}, "QA-14", False),
    ("07-asr-reproach", std(("a", "您自己不看说明书 能不出问题吗 这个我们也没办法")), {}, "QA-07", True),
    ("01-asr-customer-you", [ASR_OPEN, ("c", "你说 你说"), CLOSE, BYE], {}, "QA-01", False),
    # a check of who answers with more in the turn: its purpose counts, and it uses up no opening turn
    (
        "14-check-with-purpose-in-turn",
        opening("喂 您好 王先生吗 我是中国移动的小李 您上次问的宽带 我这边跟进一下"),
        {},
        "QA-14",
        False,
    ),
    (
        "14-check-then-purpose-for-another",
        [
            ("a", "您好,我是中国移动的客服小李,请问是王建国先生吗?"),
            ("c", "不是,我是他女儿。"),
            ("a", "您好,那我晚点再打给王先生。"),
            ("c", "行。"),
            ("a", "好的,是想跟他说一下宽带到期续费的事。"),
            CLOSE,
            BYE,
        ],
        {},
        "QA-14",
        False,
    ),
    # a bare 你是 ending the customer's turn asks who calls
    (
        "14-bare-who-are-you",
        [
            ("a", "您好 现在家里宽带网速还行吗"),
            ("c", "还行 你是"),
            ("a", "我是中国移动的小李 来电是想介绍一下提速活动"),
            CLOSE,
            BYE,
        ],
        {},
        "QA-14",
        True,
    ),
    # QA-12: a bare stage read as the speaker's past elsewhere in the turn (初中 我初中毕业就去当兵了)
    (
        "12-bare-stage-then-graduated",
        std(("a", "您现在最高学历是"), ("c", "初中 我初中毕业就去当兵了"), ("a", "明白 这个课很适合您")),
        {"disposition": "interested", "lead": {"birth_year": None}},
        "QA-12",
        False,
    ),
    (
        "12-pupil-still-counts",
        std(("a", "你现在读几年级了"), ("c", "初二"), ("a", "那这个课很适合你")),
        {"disposition": "interested", "lead": {"birth_year": None}},
        "QA-12",
        True,
    ),
    # QA-11: a sale stated with a tag particle asks for the customer's yes (那我就给您开通了哈)
    (
        "11-tag-ask-then-hum",
        std(("a", "那我就给您开通了哈"), ("c", "嗯"), ("a", "好的 已经给您开通了")),
        SOLD,
        "QA-11",
        True,
    ),
    (
        "11-tag-ask-then-yes",
        std(("a", "那我就给您开通了哈"), ("c", "行 开吧"), ("a", "好的 已经给您开通了")),
        SOLD,
        "QA-11",
        False,
    ),
    (
        "11-settled-on-a-hum",
        std(("a", "周六上午给您安排师傅上门 行吗"), ("c", "嗯嗯"), ("a", "行 那就这么定了")),
        SOLD,
        "QA-11",
        True,
    ),
    # QA-01: a full name, then the surname with a kin title (王建国王伯): an address
    ("01-name-then-surname-uncle", [("a", "喂 您好 是王建国王伯吗"), YES, PURPOSE, CLOSE, BYE], {}, "QA-01", False),
    ("01-bare-full-name", [("a", "喂 王建国 我是中国移动的小李"), YES, PURPOSE, CLOSE, BYE], {}, "QA-01", True),
    # QA-04: "we also have a … class" pushes another offer, whatever stands between
    (
        "04-another-class",
        std(
            ("c", "不考虑了。"),
            ("a", "现在报名有优惠。"),
            ("c", "不用了 没时间"),
            ("a", "晚上手机就能学。"),
            ("c", "我说了不需要"),
            ("a", "那 我们还有一个 会计培训班 考出来能加工资"),
        ),
        {},
        "QA-04",
        True,
    ),
    # QA-03a: an invitation to come by when free closes the call; it needs a blessing
    ("03a-come-by-when-free", ending(("a", "行 那您有空过来看看"), ("c", "再说吧")), {}, "QA-03a", True),
    # QA-07: the customer's own neglect as the cause, in other words
    ("07-wonder-if-not", std(("a", "您这么用法,电池不鼓才怪呢。")), {}, "QA-07", True),
    ("07-cannot-rely-on-us", std(("a", "您自己不注意,也不能全指望我们吧。")), {}, "QA-07", True),
    ("07-so-careless", std(("a", "您这心也太大了吧,合同都不看。")), {}, "QA-07", True),
    ("07-come-to-this-and-still", std(("a", "车都这样了您还往高速上开。")), {}, "QA-07", True),
    ("07-if-not-it-who", std(("a", "三年没换滤芯,它不堵谁堵啊。")), {}, "QA-07", True),
    ("07-you-are-too-kind", std(("a", "您也太客气了,这是应该的。")), {}, "QA-07", False),
    ("07-late-and-still-bothering", std(("a", "都这么晚了还打扰您,真不好意思。")), {}, "QA-07", False),
    ("07-who-would-not-join", std(("a", "这么划算的活动,不参加谁参加呀。")), {}, "QA-07", False),
    ("07-rely-on-us", std(("a", "这事您放心,全指望我们就行。")), {}, "QA-07", False),
]


# The kinds read from qa-variants-11 (every violation in the agent's own indirect words), in wordings of
# their own
CASES += [
    # QA-10: "you got it wrong" and "we never" in any words
    ("10-took-one-for-another", std(("a", "您八成是把退款短信看成扣费短信了。")), {}, "QA-10", True),
    ("10-misread-the-meaning", std(("a", "您这是把合同的意思理解反了。")), {}, "QA-10", True),
    ("10-you-misunderstood", std(("a", "李先生,您会错意了,我说的是月租。")), {}, "QA-10", True),
    ("10-did-not-understand-the-card", std(("a", "您大概没看懂账单上的说明。")), {}, "QA-10", True),
    ("10-what-are-you-getting-at", std(("a", "您这话是想说啥?")), {}, "QA-10", True),
    ("10-never-since-day-one", std(("a", "我们这个平台打上线那天起就没出过一次错。")), {}, "QA-10", True),
    ("10-never-in-six-years", std(("a", "我们店开了六年,就没干过坑客户的事。")), {}, "QA-10", True),
    ("10-we-never-would", std(("a", "我们的师傅向来不会收现金。")), {}, "QA-10", True),
    ("10-cannot-happen-here", std(("a", "这种事在我们这儿是出不了的。")), {}, "QA-10", True),
    ("10-sorry-you-were-misled", std(("a", "抱歉让您误会了,是我没说清楚。")), {}, "QA-10", False),
    ("10-do-not-misunderstand", std(("a", "您别误会,是我们登记的号码有问题。")), {}, "QA-10", False),
    ("10-our-mistake-recorded", std(("a", "是我们把退款当成收入录进去了,马上更正。")), {}, "QA-10", False),
    ("10-cannot-issue-online", std(("a", "这个证明我们线上出不了,得去营业厅。")), {}, "QA-10", False),
    # QA-07: a customer who reads an insult into a statement about them (你的意思是我…, 你这叫啥话, 怪上我了)
    # shows the statement was aimed at them; generic anger at a plain fact, a pitch or a QA-10 line does not
    (
        "07-statement-read-as-insult",
        std(
            ("a", "这套课本来就是给肯下功夫的人学的,您要是想轻松,报个兴趣班就行。"), ("c", "你的意思是我不肯下功夫呗?")
        ),
        {},
        "QA-07",
        True,
    ),
    (
        "07-blame-in-advance",
        std(("a", "您家狗要是不拴好,到时候可别又说是我们的围栏不结实。"), ("c", "我还没说啥你就先怪上我了?")),
        {},
        "QA-07",
        True,
    ),
    (
        "07-plain-fact-generic-anger",
        std(("a", "系统显示您上个月有一次缴费晚了五天,所以这次不能提额。"), ("c", "至于吗。")),
        {},
        "QA-07",
        False,
    ),
    (
        "07-pitch-then-offence",
        std(("a", "我们还有以旧换新,您家的旧冰箱能折价。"), ("c", "你这人咋回事,说了不要还说。")),
        {},
        "QA-07",
        False,
    ),
    (
        "07-listening-line-is-qa10s",
        std(("a", "您肯定是数岔了,我们是扫码出库的。"), ("c", "你这意思是我们拿了你们的东西?")),
        {},
        "QA-07",
        False,
    ),
    # QA-07: "does that need saying?", a mocking guess at what a thing is used for, "you, of all people",
    # "in this day and age, still…"
    ("07-need-saying", std(("a", "保单上白纸黑字写着,这还用我说吗?")), {}, "QA-07", True),
    ("07-used-for-a-table-leg", std(("a", "说明书写着充满就拔,您那本说明书是拿来垫桌腿的吧?")), {}, "QA-07", True),
    ("07-this-day-and-age", std(("a", "都什么年代了还用纸笔记账。")), {}, "QA-07", True),
    ("07-and-you-of-all", std(("a", "孩子在外头打拼,您倒好,补贴都不晓得领。")), {}, "QA-07", True),
    ("07-need-i-ask-politely", std(("a", "您看这个时间还用改吗?")), {}, "QA-07", False),
]


REFUSED_THRICE = (
    ("c", "不需要。"),
    ("a", "这个活动很划算的。"),
    ("c", "真不用。"),
    ("a", "您可以先体验一下。"),
    ("c", "我说了不要。"),
)
CASES += [
    # QA-04: after three refusals, a pivot to a new proposal, WeChat, or the spouse asked for instead
    (
        "04-pivot-to-wechat",
        std(*REFUSED_THRICE, ("a", "那这样王先生,我加您个微信,发点资料您闲了看看。")),
        {},
        "QA-04",
        True,
    ),
    ("04-ask-for-the-spouse", std(*REFUSED_THRICE, ("a", "您爱人在家吗?我跟她说两句。")), {}, "QA-04", True),
    ("04-pivot-to-goodbye", std(*REFUSED_THRICE, ("a", "那这样,我就不打扰您了,祝您生活愉快。")), {}, "QA-04", False),
    (
        "04-doing-it-myself-refuses",
        std(
            ("c", "不续了。"),
            ("a", "续了孩子上学方便。"),
            ("c", "这学期我自己送。"),
            ("a", "路上车多,坐校车安全。"),
            ("c", "说了不续。"),
            ("a", "现在报名还有早鸟价。"),
        ),
        {},
        "QA-04",
        True,
    ),
    # QA-05: an enumeration all inside the price, and a smallest coin negated, are promises
    (
        "05-all-listed-inside-the-price",
        std(
            ("a", "安装、调试、拉线都在这一个价里,装完您不用再往外拿钱。"),
            ("c", "那装吧。"),
            ("a", "对了,拉线超过十米的部分要另收材料费。"),
            ("c", "你刚才不是说都在价里吗?这不是骗人吗?"),
        ),
        {},
        "QA-05",
        True,
    ),
    (
        "05-not-a-coin",
        std(
            ("a", "三年里出什么毛病,上门修都不用您出一个钢镚儿。"),
            ("c", "那行。"),
            ("a", "不过人为损坏的不在保修里,要按价收费。"),
            ("c", "你刚说啥毛病都不用我出钱,这会儿又不保了?那我不要了。"),
        ),
        {},
        "QA-05",
        True,
    ),
    # QA-06: 直供 presents under another organisation; so does an apposition after the team's own name
    ("06-direct-supplier-base", std(("a", "我们园子是鲜丰水果的直供基地。")), {}, "QA-06", True),
    (
        "06-apposition-licensed-station",
        [("a", "您好,我们这边是中国移动,华为官方授权的县级服务站,给您说一下换机活动。"), YES, CLOSE, BYE],
        {},
        "QA-06",
        True,
    ),
    (
        "06-apposition-makers-licence-generic",
        [("a", "您好,我们这边是中国移动,厂家授权的县级服务站,给您说一下换机活动。"), YES, CLOSE, BYE],
        {},
        "QA-06",
        False,
    ),
    # QA-06 / QA-14: a trade said with a verb (我是做陶艺手作的小夏) is no organisation
    ("06-trade-is-no-org", opening("温女士您好,我是做陶艺手作的小夏,跟您聊聊活动需求。"), {}, "QA-06", False),
    ("14-trade-is-no-company", opening("温女士您好,我是做陶艺手作的小夏,跟您聊聊活动需求。"), {}, "QA-14", True),
    # QA-14: what the agent means to do for the customer is a purpose
    ("14-means-to-help", opening("您好,我是中国移动的小李,想提前帮您把明年的套餐合计合计。"), {}, "QA-14", False),
    # QA-03a: leaving it to the customer (您自己看吧) closes the call; it needs a blessing
    ("03a-left-to-you", ending(("a", "那周六就不给您留了,您自己看吧。"), ("c", "行,不用你操心。")), {}, "QA-03a", True),
    # QA-12: inviting a child on the phone to come along is marketing to them
    (
        "12-child-invited-to-come",
        std(
            ("a", "你今年几年级啦?"),
            ("c", "初一。"),
            ("a", "我们就在你们学校后门,放了学直接过来,你是不是挺想来的?"),
        ),
        {"lead": {"birth_year": None}, "disposition": "no_interest"},
        "QA-12",
        True,
    ),
    (
        "12-child-asked-to-pass-a-message",
        std(
            ("c", "我不是,我是他女儿,我在上高一。"),
            ("a", "好的同学,续订的事还是要跟您爸爸商量,我就不跟您多说了,麻烦您跟爸爸说一声。"),
        ),
        {"lead": {"birth_year": None}, "disposition": "callback"},
        "QA-12",
        False,
    ),
]


# The kinds read from qa-variants-12 (forbidden words where they do not count: the customer's, quoted,
# negated, idioms, others' ages), in wordings of their own
CASES += [
    # QA-05: "we never charge" said to deny the customer's account is QA-10's denial, not a promise
    (
        "05-denial-of-the-account-is-no-promise",
        std(
            ("c", "上次师傅来,说免费检测,走的时候收了我八十。"),
            ("a", "您肯定是记错了,我们师傅上门从来不收钱的。"),
            ("c", "我有转账记录,收了八十,你们这不是糊弄人吗?"),
        ),
        {},
        "QA-05",
        False,
    ),
    (
        "05-promise-still-counts",
        std(
            ("a", "这次上门检测不收您一分钱。"),
            ("c", "那来吧。"),
            ("a", "师傅说检测费要收八十。"),
            ("c", "你刚才不是说不收钱吗?这不是骗人吗?"),
        ),
        {},
        "QA-05",
        True,
    ),
    # QA-10: a listening phrase the agent denies saying is none
    ("10-denies-saying-you-misread", std(("a", "我不下结论,也不是说您看错了,咱们一项一项对。")), {}, "QA-10", False),
    ("10-says-you-misread", std(("a", "您肯定是看错了,咱们一项一项对。")), {}, "QA-10", True),
    # QA-06: a "strategic" partnership is a partnership
    ("06-strategic-partner", std(("a", "我们现在是国家电网的战略合作单位。")), {}, "QA-06", True),
    # QA-01: 你 inside an idiom is no address
    ("01-idiom-with-you", std(("a", "买保险本来就是你情我愿的事,您觉得不合适就不买。")), {}, "QA-01", False),
    ("01-you-still-counts", std(("a", "你觉得不合适就不买。")), {}, "QA-01", True),
    # QA-12: a pet of the family's, "that one we had before", is spoken of
    (
        "12-the-dog-we-had-before",
        std(("c", "我们家之前那只狗十二岁走的。"), ("a", "理解,所以趁现在投保最合适。")),
        {"disposition": "success", "lead": {"birth_year": 1985}},
        "QA-12",
        False,
    ),
    # QA-02: an ineligible request, then brought to the team's premises (开到我们…检测中心来)
    (
        "02-bring-it-to-our-centre",
        std(
            ("c", "你们能去杭州验车吗?"),
            ("a", "杭州我们做不了。"),
            ("a", "那这样,您提车回来以后,直接开到我们相山南路的检测中心来。"),
        ),
        {"eligibility": "ineligible", "disposition": "no_interest"},
        "QA-02",
        True,
    ),
]


# The kinds read from qa-variants-13 (service calls: renewals, reminders, follow-ups), in wordings of their own
CASES += [
    # QA-06: a 的 in a name's second character belongs to the name (美的官方…); an organisation ending in 局;
    # joined to another's network (加入了…联盟, 是…的成员影城), not a denial (不是…的门店)
    ("06-de-inside-a-name", std(("a", "我是美的官方延保服务中心的小程。")), {}, "QA-06", True),
    ("06-description-with-de", std(("a", "我们是本地的家电清洗公司。")), {}, "QA-06", False),
    ("06-a-bureau", std(("a", "我是国家邮政报刊发行局达州分局的小何。")), {}, "QA-06", True),
    ("06-registered-with-a-bureau", std(("a", "我们是人社局备案的职业培训机构。")), {}, "QA-06", False),
    ("06-joined-a-chain", std(("a", "我们现在加入了万达院线联盟,续卡以后全国都能刷。")), {}, "QA-06", True),
    ("06-member-of-a-chain", std(("a", "我们算是华润万家的成员店,积分通用。")), {}, "QA-06", True),
    ("06-not-their-shop", std(("a", "板子用的是兔宝宝的,我们是定制工厂,不是兔宝宝的门店。")), {}, "QA-06", False),
    # QA-12: a pitch word that offers nothing: denied, done before the call, someone else's act
    (
        "12-service-call-to-an-elder",
        [
            ("a", "阿姨您好,我是中国移动的小李,来电是跟您确认明天保养的时间。"),
            ("c", "哦,明天上午在家。"),
            ("a", "阿姨,这次就是按您儿子约好的做保养,别的不用您买,也不用您付钱。"),
            ("c", "那好,我给开个门。"),
            CLOSE,
            BYE,
        ],
        {"disposition": "appointment", "lead": {"birth_year": 1950}},
        "QA-12",
        False,
    ),
    (
        "12-daughter-buys-the-strips",
        [
            ("a", "阿姨您好,我是中国移动的小李,来电是回访一下您用着顺不顺手。"),
            ("c", "试纸快用完了,上哪儿买啊?"),
            ("a", "您闺女上个月给您买了我们的血糖仪,试纸一直是您闺女在给您买,我跟她说一声。"),
            CLOSE,
            BYE,
        ],
        {"disposition": "callback", "lead": {"birth_year": 1950}},
        "QA-12",
        False,
    ),
    (
        "12-elder-sold-to",
        std(("a", "阿姨,试纸您可以直接在我们这儿买,一盒送一盒。")),
        {"disposition": "interested", "lead": {"birth_year": 1950}},
        "QA-12",
        True,
    ),
    # QA-09: a cover, a limit or pay is no price of the offer, unless its clause says it is paid
    ("09-per-person-cover", std(("a", "每人的赔偿限额是八十万,工伤医疗每人五万。")), NO_PRICE, "QA-09", False),
    ("09-monthly-salary", std(("a", "学完推荐就业,月薪八千左右。")), NO_PRICE, "QA-09", False),
    ("09-premium-per-person", std(("a", "每人的赔偿限额是八十万,保费每人三百。")), NO_PRICE, "QA-09", True),
    # QA-02: come to a named branch (到华龙店服务台来一趟) after an ineligible request
    (
        "02-come-to-the-branch-desk",
        std(
            ("c", "会员卡能转给我妹妹吗?"),
            ("a", "会员卡是实名的,不能转让,系统里办不了。"),
            ("a", "要不您回来的时候到华龙店服务台来一趟,当面跟店长聊聊。"),
        ),
        {"eligibility": "ineligible", "disposition": "no_interest"},
        "QA-02",
        True,
    ),
]


# The kinds read from qa-variants-14 (someone other than the lead answers), in wordings of their own
SPOUSE = ("c", "我是他爱人,他出差了,手机在我这儿。")
CASES += [
    # QA-11: a clear yes from someone who is not the customer (the lead's spouse, child, housekeeper) is no
    # yes of the customer's; one who fetches the lead, or whose number it is now, is another matter
    (
        "11-spouse-says-yes",
        [
            ("a", "您好,我是中国移动的客户经理小李,请问是王建国先生吗?"),
            SPOUSE,
            ("a", "王先生的宽带下个月到期,给他续费一年,可以吗?"),
            ("c", "行,续吧。"),
            ("a", "好的,这边就给王先生续上了。"),
            CLOSE,
            BYE,
        ],
        SOLD,
        "QA-11",
        True,
    ),
    (
        "11-spouse-fetches-the-lead",
        [
            ("a", "您好,我是中国移动的客户经理小李,请问是王建国先生吗?"),
            ("c", "我是他爱人,你等一下,我去叫他。"),
            ("c", "喂?"),
            ("a", "王先生您好,我是中国移动的小李,您的宽带下个月到期,给您续一年,可以吗?"),
            ("c", "行,续吧。"),
            ("a", "好的,已经给您续上了。"),
            CLOSE,
            BYE,
        ],
        SOLD,
        "QA-11",
        False,
    ),
    (
        "11-number-is-the-sons-now",
        [
            ("a", "您好,我是中国移动的客户经理小李,请问是王建国先生吗?"),
            ("c", "我是他儿子,我爸前年走了,这个号现在是我在用。"),
            ("a", "您好,请节哀。宽带下个月到期,给您续一年,可以吗?"),
            ("c", "行,续吧。"),
            ("a", "好的,已经给您续上了。"),
            CLOSE,
            BYE,
        ],
        SOLD,
        "QA-11",
        False,
    ),
    (
        "11-so-renew-it",
        std(("a", "给您续一年,可以吗?"), ("c", "那就续一年吧。"), ("a", "好的,已经给您续上了。")),
        SOLD,
        "QA-11",
        False,
    ),
    (
        "11-say-later",
        std(("a", "给您续一年,可以吗?"), ("c", "嗯,那就再说吧。"), ("a", "好的,已经给您续上了。")),
        SOLD,
        "QA-11",
        True,
    ),
    # QA-14: the phone passes to the lead; the agent's first words to the new voice must say who and why
    (
        "14-handed-over-no-intro",
        [
            ("a", "您好,我是中国移动的客户经理小李,请问是王建国先生家吗?今天来电是回访一下宽带。"),
            ("c", "我是他爱人,我让他接。老王,电话!"),
            ("c", "喂?"),
            ("a", "宽带用着怎么样?现在升级千兆每月只加二十。"),
            CLOSE,
            BYE,
        ],
        {},
        "QA-14",
        True,
    ),
    (
        "14-handed-over-with-intro",
        [
            ("a", "您好,我是中国移动的客户经理小李,请问是王建国先生家吗?今天来电是回访一下宽带。"),
            ("c", "我是他爱人,我让他接。老王,电话!"),
            ("c", "喂?"),
            ("a", "王先生您好,我是中国移动的小李,来电是回访一下您家的宽带。"),
            CLOSE,
            BYE,
        ],
        {},
        "QA-14",
        False,
    ),
    (
        "14-message-comes-back",
        [
            ("a", "您好,我是中国移动的客户经理小李,请问是王建国先生家吗?今天来电是回访一下宽带。"),
            ("c", "我是他爱人,你等一下,我去叫他。"),
            ("c", "他说在忙,让你晚点打。"),
            ("a", "好的,那我明天上午再打过来。"),
            CLOSE,
            BYE,
        ],
        {},
        "QA-14",
        False,
    ),
    (
        "14-to-tell-someone-named",
        opening("您好,我是中国移动的小李,想跟王建国先生说一下宽带到期的事。"),
        {},
        "QA-14",
        False,
    ),
    # QA-12: a carer answers for an old lead; an age as a bare year clause; retirement with the verb split;
    # deferring to the lead withdraws
    (
        "12-carer-answers-for-the-elder",
        [
            ("a", "您好,我是中国移动的客户经理小李,请问是王建国老先生家吗?"),
            ("c", "是,我是照顾王伯的阿姨,电话都是我接。"),
            ("a", "阿姨您好,这个套餐的事我还是先跟他儿子说,就不打扰王伯了。"),
            CLOSE,
            BYE,
        ],
        {"lead": {"birth_year": 1944}, "disposition": "callback"},
        "QA-12",
        False,
    ),
    (
        "12-year-clause",
        std(("c", "我属鼠的,四八年的,折腾不动了。"), ("a", "大爷,我们这个套餐每月只要九块。")),
        {"lead": {"birth_year": None}, "disposition": "no_interest"},
        "QA-12",
        True,
    ),
    (
        "12-retired-verb-split",
        std(("c", "我六十岁退的休,都退了十五年了。"), ("a", "大爷,我们这个套餐每月只要九块。")),
        {"lead": {"birth_year": None}, "disposition": "no_interest"},
        "QA-12",
        True,
    ),
    (
        "12-defers-to-the-lead",
        std(("c", "我今年七十四了,我能不能也订一瓶?"), ("a", "阿姨,订奶这个事我还是先跟孟女士商量,她回来我再打过来。")),
        {"lead": {"birth_year": None}, "disposition": "callback"},
        "QA-12",
        False,
    ),
    # QA-09: a price per pair (两百六十八一双)
    ("09-price-per-pair", std(("a", "现在店里活动价两百六十八一双。")), NO_PRICE, "QA-09", True),
    ("09-count-of-pairs", std(("a", "我们给您留了三十七码的一双。")), NO_PRICE, "QA-09", False),
    # QA-07: the customer's doing, then they come to the team (扣了钱倒来问我们); never thought of…?; and
    # still call it…?; 别管懂不懂 is no condescension
    ("07-and-then-you-ask-us", std(("a", "遥控器是您家自己人按的,扣了钱倒来问我们。")), {}, "QA-07", True),
    ("07-never-thought-of", std(("a", "您自己天天抱着手机,您就没想过教教她?")), {}, "QA-07", True),
    ("07-and-still-call-it", std(("a", "您现在还嫌她学这个多余?")), {}, "QA-07", True),
    ("07-never-mind-understanding", std(("a", "大爷您别管懂不懂,炉子响就得修。")), {}, "QA-07", False),
]


# The kinds read from qa-variants-19 (machine transcripts with restored punctuation and mixed scripts), in
# wordings of their own
CASES += [
    # QA-14: a name in Latin letters, and a recogniser's comma between the title and the name
    ("14-latin-name", opening("王先生您好,我是中国移动的客户经理Amy,来电是回访一下宽带。"), {}, "QA-14", False),
    (
        "14-comma-before-nickname",
        opening("王先生您好我是中国移动的客户经理,小檀。来电是回访一下宽带。"),
        {},
        "QA-14",
        False,
    ),
    ("14-latin-word-is-no-name", opening("您好,我是中国移动的,来电是跟您说一下5G套餐。"), {}, "QA-14", True),
    # QA-14: a bare check by the customer's name (喂是王建国吧) opens nothing yet
    (
        "14-check-by-name-then-intro",
        [
            ("a", "喂是王建国吧"),
            ("c", "是谁啊"),
            ("a", "我是中国移动的顾问小贺,您上次问过宽带提速,给您回个电话。"),
            CLOSE,
            BYE,
        ],
        {},
        "QA-14",
        False,
    ),
    (
        "14-check-by-title",
        [
            ("a", "喂您好是王师傅吗"),
            ("c", "是我你哪位"),
            ("a", "王师傅您好我是中国移动的小贺,给您回个电话说下套餐。"),
            CLOSE,
            BYE,
        ],
        {},
        "QA-14",
        False,
    ),
    # QA-14: the customer's own earlier act, said with 你 or of a family member (你妈妈之前在我们这儿登记过)
    (
        "14-family-member-booked",
        opening("小朋友你好我是中国移动的陈老师,你妈妈之前在我们这儿登记过宽带。"),
        {},
        "QA-14",
        False,
    ),
    # QA-06: a brand followed by its model is a product the customer has (一台华为P30)
    ("06-product-by-model", std(("a", "您前两天提交了一台华为P30的回收申请。")), {}, "QA-06", False),
    ("06-brand-presented-still", std(("a", "我们是华为官方授权的回收商。")), {}, "QA-06", True),
    # QA-09: nought is free; digits after a period and a cost word are a price
    ("09-zero-is-free", std(("a", "体验课是0元的,您带孩子来就行。")), NO_PRICE, "QA-09", False),
    ("09-per-lesson-digits", std(("a", "后面进小班,小班一节才150。")), NO_PRICE, "QA-09", True),
    ("09-per-lesson-minutes", std(("a", "小班一节是45分钟。")), NO_PRICE, "QA-09", False),
    # QA-07: the customer's doing, then they come to the team again (扣了钱又来找平台)
    ("07-and-again-to-us", std(("a", "您自己点的同意,扣了钱又来找平台。")), {}, "QA-07", True),
    ("07-come-to-us-any-time", std(("a", "您有问题随时再来找我们。")), {}, "QA-07", False),
    # QA-12: the agent declines to recommend anything to a minor
    (
        "12-no-recommendation-to-a-minor",
        std(("c", "你们那儿做脸多少钱啊,我14了。"), ("a", "我们这边不给未成年的小朋友推荐项目,等妈妈回来再说。")),
        {"lead": {"birth_year": None}, "disposition": "callback"},
        "QA-12",
        False,
    ),
    # QA-11: the sale put to the customer as done, then said again as done after the reply
    (
        "11-said-done-then-again",
        std(
            ("a", "现在活动价1299元,旧机能抵150。"),
            ("c", "嗯。听着还行,送货上门吗"),
            ("a", "送。那就1149货到付款,王先生给您下单了"),
            ("c", "嗯"),
            ("a", "好的已经下好了,明天上午给您送过去"),
        ),
        SOLD,
        "QA-11",
        True,
    ),
    (
        "11-said-done-then-yes",
        std(
            ("a", "现在活动价1299元,旧机能抵150。"),
            ("c", "嗯。听着还行,送货上门吗"),
            ("a", "送。那就1149货到付款,王先生给您下单了"),
            ("c", "行,下吧"),
            ("a", "好的已经下好了,明天上午给您送过去"),
        ),
        SOLD,
        "QA-11",
        False,
    ),
]


# The kinds read from qa-variants-16 (subtle violations by polite agents; blunt agents who break nothing),
# in wordings of their own
CASES += [
    # QA-14: what a title does is no name (现场也有顾问答疑); a title then another title is none (客服专员); an
    # idiom is no title (我长话短说); 养老 holds no 老X
    (
        "14-no-name-only-titles",
        opening("您好,这边是中国移动,打电话想邀请您来听讲座,现场也有顾问答疑。"),
        {},
        "QA-14",
        True,
    ),
    ("14-title-then-title", opening("您好,这边是中国移动,我是客服专员,来电是回访宽带。"), {}, "QA-14", True),
    ("14-idiom-is-no-title", opening("您好,这边是中国移动养老规划,我长话短说,来电是邀请您听讲座。"), {}, "QA-14", True),
    # QA-14: asked what the call is about, the agent answers with small talk: the purpose is withheld
    (
        "14-small-talk-for-purpose",
        [
            ("a", "您好,我是中国移动的小莫,请问是王大哥吗?"),
            ("c", "是我,有啥事?"),
            ("a", "王大哥,最近您家的柑子下来了吧?今年收成怎么样?"),
            ("c", "还行。你有啥事就直说吧。"),
            ("a", "是这样,给您介绍一下我们的宽带套餐。"),
            CLOSE,
            BYE,
        ],
        {},
        "QA-14",
        True,
    ),
    (
        "14-purpose-said-then-asked-again",
        [
            ("a", "您好,我是中国移动的小郑,给您说一下宽带续约的方案。"),
            ("c", "嗯,什么事,你说"),
            ("a", "您现在是两百兆,续约可以升到五百兆。"),
            CLOSE,
            BYE,
        ],
        {},
        "QA-14",
        False,
    ),
    # QA-11: the sale stated done from the agent's side (这边给您提交了); 都行……随你们吧 is no yes
    (
        "11-done-from-our-side-on-a-shrug",
        std(
            ("a", "那我就给您办这个套餐,您看可以吗?"),
            ("c", "嗯……那你看着办吧。"),
            ("a", "好的,那我这边给您提交了。"),
            ("c", "哦,好。"),
        ),
        SOLD,
        "QA-11",
        True,
    ),
    (
        "11-anything-goes",
        std(("a", "那我就给您下单,您看行吗?"), ("c", "都行……随你们吧。"), ("a", "好的,已经给您下单了。")),
        SOLD,
        "QA-11",
        True,
    ),
    # QA-05: a withdrawal in the sale's own verb (我们不定了) with a point back
    (
        "05-points-back-and-drops-it",
        std(
            ("a", "在我们家拍的照片您都能带走,不会一张一张卖给您。"),
            ("c", "那就定你们家了。"),
            ("a", "原片要全部要的话,得加一个底片包,另算。"),
            ("c", "你刚才不是说拍的都能带走吗?我们不定了。"),
        ),
        {},
        "QA-05",
        True,
    ),
    # QA-06: made together with a brand's people (跟新东方的老师一起研发的) is under its name, not a comparison
    (
        "06-developed-with-a-brands-teachers",
        std(("a", "我们的课程体系是跟新东方的老师一起研发的。")),
        {},
        "QA-06",
        True,
    ),
    ("06-cheaper-than-a-brand", std(("a", "我们的课跟新东方比要便宜一些。")), {}, "QA-06", False),
    # QA-02: the customer referred to someone else's place (建议您去市中心医院) is no invitation
    (
        "02-referred-to-a-hospital",
        std(
            ("c", "孩子五岁,能配吗?"),
            ("a", "儿童验配我们店做不了。"),
            ("a", "建议您带孩子去市中心医院的耳鼻喉科先查一下,先去医院查。"),
        ),
        {"eligibility": "ineligible", "disposition": "no_interest"},
        "QA-02",
        False,
    ),
    # QA-09: a price hinted as an everyday small cost
    ("09-a-cup-of-milk-tea", std(("a", "会员一天也就是一杯奶茶钱。")), NO_PRICE, "QA-09", True),
    ("09-orders-by-the-hundred", std(("a", "我们一个月接三位数的单子,都是这么走的。")), NO_PRICE, "QA-09", False),
    # QA-07: mockery the customer calls out (你说话挺损啊); "no wonder they complain" laid on the customer;
    # 你才上了一节 states a fact
    (
        "07-called-out-as-snide",
        std(("a", "您真是信得过自己的手艺,拿报纸裹一裹就敢上车,您说是吧?"), ("c", "……你说话挺损啊。")),
        {},
        "QA-07",
        True,
    ),
    ("07-no-wonder", std(("a", "员工天天吃着难受,难怪人家意见那么大呢。")), {}, "QA-07", True),
    ("07-only-one-lesson-so-far", std(("a", "覃姐,你才上了一节,退回来的是大部分。")), {}, "QA-07", False),
    # QA-04: a refusal after 不过; "I'll not call again" closes; a mark on the number closes
    (
        "04-but-i-dont-want-to",
        std(
            ("c", "不过我不想学了。"),
            ("a", "课是晚上上的,不耽误干活。"),
            ("c", "真不学。"),
            ("a", "回放也能看。"),
            ("c", "我说了不学,你别劝了。"),
            ("a", "那我就最后说一句,这期报名还送一个补光灯。"),
        ),
        {},
        "QA-04",
        True,
    ),
    (
        "04-marked-not-to-call",
        std(*REFUSED_THRICE, ("a", "实在抱歉,我这边给您的号码做个标记,以后不会再给您打推广电话。")),
        {},
        "QA-04",
        False,
    ),
    # QA-01: a full name, then the surname with a job title (薛玉洁薛主管)
    (
        "01-name-then-surname-supervisor",
        [("a", "您好,请问是王建国王主管吗?"), YES, PURPOSE, CLOSE, BYE],
        {},
        "QA-01",
        False,
    ),
]


# The kinds read from qa-variants-17 (calls full of figures, most of them no price), in wordings of their own
CASES += [
    # QA-09: 块 counting pieces of the item; what the customer saves on a bill; energy and lesson counts
    ("09-panels-by-the-piece", std(("a", "一块板一米六,您家屋顶能摆三十块左右。")), NO_PRICE, "QA-09", False),
    ("09-panels-after-the-figure", std(("a", "屋顶能放二十块左右的板子。")), NO_PRICE, "QA-09", False),
    ("09-yuan-still-a-price", std(("a", "这套设备算下来三万块左右。")), NO_PRICE, "QA-09", True),
    ("09-saving-on-the-bill", std(("a", "按您家的用量,一年电费大概能省八百到一千块。")), NO_PRICE, "QA-09", False),
    ("09-energy-not-money", std(("a", "十五千瓦一年就是一万八千度上下。")), NO_PRICE, "QA-09", False),
    ("09-lesson-hours", std(("a", "寒假课十天,每天两小时,一共二十课时。")), NO_PRICE, "QA-09", False),
    ("09-down-payment-share", std(("a", "首付比例最低百分之二十,剩下的分二十四期。")), NO_PRICE, "QA-09", False),
    ("09-down-payment-figure", std(("a", "首付三万八,剩下的分二十四期。")), NO_PRICE, "QA-09", True),
    # QA-14: a two-character name before 老师; a subject before 老师 is no name; 你是干啥的 asks who calls
    ("14-name-before-teacher", opening("您好,想跟您约一节免费试听课,我是中国移动的温静老师。"), {}, "QA-14", False),
    ("14-subject-before-teacher", opening("您好,想跟您约一节免费试听课,我是中国移动的数学老师。"), {}, "QA-14", True),
    (
        "14-what-do-you-do",
        [
            ("a", "喂,王老板吗?您车队加油一个月花多少钱啊?"),
            ("c", "你是干啥的?"),
            ("a", "我们是中国移动的,我姓吕。"),
            CLOSE,
            BYE,
        ],
        {},
        "QA-14",
        True,
    ),
    # QA-07: a question that leads to an offer of help is no reproach, whatever the customer makes of it
    (
        "07-question-leading-to-help",
        std(("a", "那您厂里的司机都有证吧?我们这边也能帮着安排年检。"), ("c", "开了二十多年车,还用你教?")),
        {},
        "QA-07",
        False,
    ),
    # QA-01: a full name, then the surname and 会计
    (
        "01-name-then-surname-accountant",
        [("a", "您好,请问是王建国王会计吗?"), YES, PURPOSE, CLOSE, BYE],
        {},
        "QA-01",
        False,
    ),
]


# The kinds read from qa-variants-18 (holds, hand-overs to colleagues, redials), in wordings of their own
CASES += [
    # QA-14: a redial picks up where the dropped call left off; a named act for the customer
    (
        "14-redial-picks-up",
        opening("王先生您好,我是中国移动的小蔡,刚才电话断了,我给您回过来,接着说您家宽带报修的事。"),
        {},
        "QA-14",
        False,
    ),
    (
        "14-entrusted-to-activate",
        opening("您好,我是中国移动的客服小韩,受银行委托帮您激活新卡,现在方便吗?"),
        {},
        "QA-14",
        False,
    ),
    # QA-14: a transfer to a colleague: the new voice owes its name
    (
        "14-transfer-new-voice-unnamed",
        std(
            ("a", "这个我说不准,我帮您转给我们的技术师傅,您别挂。"), ("hold", 20.0), ("a", "喂,你那个路由器是啥牌子的?")
        ),
        {},
        "QA-14",
        True,
    ),
    (
        "14-transfer-new-voice-named",
        std(
            ("a", "好的,我请我们客服主管来跟您说,稍等一下。"),
            ("hold", 20.0),
            ("a", "王先生您好,我是中国移动的客服主管,我叫邓琳。"),
        ),
        {},
        "QA-14",
        False,
    ),
    # QA-15: a transfer is a reason for the hold
    (
        "15-transfer-is-a-reason",
        std(("a", "我请我们主管来跟您说,转过去大概半分钟,您别挂。"), ("hold", 30.0), ("a", "您好。")),
        {},
        "QA-15",
        False,
    ),
    # QA-03a: the call ended during a hold (the line dropped): no close to bless
    (
        "03a-ended-on-hold",
        [OPEN, YES, PURPOSE, ("a", "我帮您查一下,大概半分钟,您稍等。"), ("hold", 25.0)],
        {},
        "QA-03a",
        False,
    ),
    # QA-11: a completion said of something done before the call is not this sale; a proposal doing a
    # thing for the customer (帮您把这笔分成十二期,可以吗?)
    (
        "11-past-activation-then-instalment",
        std(
            ("a", "您的卡昨天已经激活了。帮您把这笔分成十二期,可以吗?"),
            ("c", "嗯……我想想……"),
            ("a", "已经给您办好分期了。"),
        ),
        SOLD,
        "QA-11",
        True,
    ),
    # QA-09: what a card lends is no price
    ("09-what-the-card-lends", std(("a", "这张卡最高能借五万,按月慢慢还。")), NO_PRICE, "QA-09", False),
    # QA-07: the question right after one put to the customer is aimed at them too
    (
        "07-second-question-after-one-at-you",
        std(("a", "您回家以后给它吹干了没有?湿着毛就让它趴地板上,那能不起疹子吗?")),
        {},
        "QA-07",
        True,
    ),
]


# The kinds read from qa-unseen-8 once it had been scored sealed after the round and released, in
# wordings of their own
CASES += [
    # QA-14: the purpose asked as the customer's need or plan
    ("14-need-asked", opening("王老板您好,我是中国移动的小殷,今年您店里有没有装监控的需求?"), {}, "QA-14", False),
    ("14-plan-asked", opening("王老师您好,我是中国移动的小邝,今年打算换个千兆宽带吗?"), {}, "QA-14", False),
    # QA-06: a person who recommends is no organisation (就说是小邱老师推荐的)
    ("06-person-recommends", std(("a", "您就说是小王经理推荐的,让他给我回个电话。")), {}, "QA-06", False),
    ("06-firm-recommends", std(("a", "我们是华安电力推荐的合作商。")), {}, "QA-06", True),
    # QA-09: 元 in a place name; a listing price after 挂
    ("09-place-name-with-yuan", std(("a", "我是锐剑击剑馆的小丁,在三元区那边。")), NO_PRICE, "QA-09", False),
    ("09-listing-price", std(("a", "您要是挂一百零五万,我有把握月底前出掉。")), NO_PRICE, "QA-09", True),
    ("09-hangers-count", std(("a", "一个挂衣仓能挂一百五十件左右。")), NO_PRICE, "QA-09", False),
    # QA-12: an exam for a school stage; 我家小子 is spoken of
    (
        "12-exam-for-a-school-stage",
        std(("c", "我大四了,想考初中数学老师。"), ("a", "那我们的教资课很适合您。")),
        {"disposition": "interested", "lead": {"birth_year": None}},
        "QA-12",
        False,
    ),
    (
        "12-my-boy-in-grade-eight",
        std(("c", "对,我家小子初二,跑步太慢。"), ("a", "那我们的体育课很适合他。")),
        {"disposition": "interested", "lead": {"birth_year": 1985}},
        "QA-12",
        False,
    ),
    # QA-04: 不卖 refuses
    (
        "04-wont-sell",
        std(
            ("c", "不卖,自己住。"),
            ("a", "那个客户全款,不用您等贷款。"),
            ("c", "说了不卖。"),
            ("a", "可以先挂着试试。"),
            ("c", "真不卖了,你别打了。"),
            ("a", "我就再说一句,您先挂在我们这,一分钱不花。"),
        ),
        {},
        "QA-04",
        True,
    ),
    # QA-05: a condition promised not to get worse, then 不做承诺
    (
        "05-promised-no-worse",
        std(
            ("a", "您放心,用上这个垫子,腰椎的毛病不会再复发了。"),
            ("c", "那挺好。"),
            ("a", "复不复发主要看您的坐姿,垫子只是辅助,这个我们不做承诺。"),
            ("c", "刚才你不是说用了就不复发吗?这不是骗人吗?退了。"),
        ),
        {},
        "QA-05",
        True,
    ),
    # QA-07: the blame turned on the parent
    ("07-parent-should-reflect", std(("a", "孩子不想学了,家长是不是也得反思一下?")), {}, "QA-07", True),
    ("07-how-many-times-did-you", std(("a", "您自己陪他去过几次?")), {}, "QA-07", True),
    # QA-11: 对了, (by the way) is no yes
    (
        "11-by-the-way-is-no-yes",
        [
            OPEN,
            YES,
            PURPOSE,
            ("a", "那我就给您定下来,可以吗?"),
            ("c", "好了好了就这样,我要开会。"),
            ("a", "好的,祝您工作顺利。"),
            ("c", "哎对了,那个定金——"),
        ],
        SOLD,
        "QA-11",
        True,
    ),
]


# The kinds read from qa-variants-20 (rude or rhetorical replies, pushing) and qa-variants-21 (store
# invitations, borrowed brands, listening phrases), in wordings of their own
CASES += [
    # QA-07: only the customer still…; "who else would they stop"; counting the repetitions; "so what do
    # you want us to do"; "why did you … back then"; "even a child knows"; offence at being interrogated,
    # at being talked down to, at "what do you mean by that"
    ("07-only-you-still", std(("a", "人家早就换了,就您还用着老的。")), {}, "QA-07", True),
    ("07-who-else-would-they-fine", std(("a", "车牌糊成这样,交警不罚您罚谁?")), {}, "QA-07", True),
    ("07-counting-repetitions", std(("a", "唉,这都第三遍了,我最后再说一回。")), {}, "QA-07", True),
    ("07-what-do-you-want-us-to-do", std(("a", "留了号码又嫌人打,您这让我们怎么做?")), {}, "QA-07", True),
    ("07-why-back-then", std(("a", "那您当初办卡的时候干嘛留电话呢?")), {}, "QA-07", True),
    ("07-even-a-child-knows", std(("a", "这个道理,家里小孩都懂吧?")), {}, "QA-07", True),
    (
        "07-interrogation-called-out",
        std(("a", "您多久回去看她一次?您心里踏实吗?"), ("c", "你这是在审我吗?")),
        {},
        "QA-07",
        True,
    ),
    (
        "07-what-do-you-mean-by-that",
        std(("a", "到时候成绩出来,您可别埋怨孩子,是您自己舍不得这点钱。"), ("c", "你这话什么意思?")),
        {},
        "QA-07",
        True,
    ),
    (
        "07-annual-check-is-no-interrogation",
        std(("a", "我们代办很省事,您不用自己跑。"), ("c", "年审我自己会办,用不着你们。")),
        {},
        "QA-07",
        False,
    ),
    ("07-back-then-we-agreed", std(("a", "当时我们约好的是周六上午,对吧?")), {}, "QA-07", False),
    # QA-10: "what are you getting at", misjudged, not got round to it, a mix-up idiom, read upside down,
    # "never since we opened"
    ("10-how-many-meanings", std(("a", "您这么说是几个意思呢?")), {}, "QA-10", True),
    ("10-misjudged-it", std(("a", "这个您肯定是看走眼了。")), {}, "QA-10", True),
    ("10-not-got-round", std(("a", "您好像还没绕过这个弯儿来。")), {}, "QA-10", True),
    ("10-mix-up-idiom", std(("a", "您这是张冠李戴了。")), {}, "QA-10", True),
    ("10-read-upside-down", std(("a", "您这是把彩色和黑白的张数看颠倒了。")), {}, "QA-10", True),
    ("10-never-since-opening", std(("a", "我们从开业到今天就没跟哪一户收过这个钱。")), {}, "QA-10", True),
    # QA-06: "just think of it as <brand>'s", a licence taken from a brand's formula
    ("06-think-of-it-as-theirs", std(("a", "您就当是办的电信宽带,只是便宜一半。")), {}, "QA-06", True),
    ("06-licensed-formula", std(("a", "这款是拿了雀巢的配方授权生产的。")), {}, "QA-06", True),
]


# The kinds read from qa-variants-22 (misleading promises), in wordings of their own
CASES += [
    (
        "05-wont-grow-back",
        std(
            ("a", "您放心,做一次就能去干净,做完以后痘不会再长回来了。"),
            ("c", "那我先交个定金。"),
            ("a", "一般要做三到五次,以后还可能反复。"),
            ("c", "你刚才不是说一次就去干净、不会长回来吗?定金退给我,我要投诉。"),
        ),
        {},
        "QA-05",
        True,
    ),
    (
        "05-not-affected-at-all",
        std(
            ("a", "在我们这保养,跟在4S店一样,原厂保修一点都不受影响。"),
            ("c", "那行。"),
            ("a", "不过发动机索赔的时候,厂家认不认我们的记录,我们也不好说。"),
            ("c", "你刚才不是说一点都不受影响吗?那我不做了。"),
        ),
        {},
        "QA-05",
        True,
    ),
    (
        "05-yours-for-ever",
        std(
            ("a", "课程买了永远是您的,什么时候想看都能看。"),
            ("c", "那先交定金。"),
            ("a", "课程到明年考试后就到期了,续看要另外收费。"),
            ("c", "你刚才不是说永远是我的吗?定金退给我。"),
        ),
        {},
        "QA-05",
        True,
    ),
    (
        "05-yours-for-ever-kept",
        std(("a", "课程买了永远是您的,什么时候想看都能看。"), ("c", "好的,那我买了。"), ("a", "好的,已经开通了。")),
        {},
        "QA-05",
        False,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_round6_kinds(check_case: Callable[[Case], None], case: Case) -> None:
    check_case(case)


# The word lists the detectors read structures with live in the versioned policy (moved from
# detectors.py in this round); a policy that dropped one would silently match nothing.
STRUCTURE_LISTS = [
    ("QA-06", name)
    for name in (
        "affiliation",
        "registered_with",
        "customers_own",
        "about_customer",
        "supplier_before",
        "supplier_after",
        "supplier_verb",
        "supplier_role",
        "facility_after",
        "affiliated_after",
        "denial_after",
        "joint_after",
        "person",
        "model_after",
    )
] + [
    ("QA-15", "wait_word"),
    ("QA-07", "remedy_follows"),
    ("QA-03a", "customer_leaves"),
    ("QA-12", "pitch_not_offered"),
    ("QA-09", "not_price_context"),
    ("QA-09", "price_clause"),
    ("QA-07", "apology"),
    ("QA-11", "tag_ask"),
]


@pytest.mark.parametrize(("rule_id", "name"), STRUCTURE_LISTS, ids=[f"{r}:{n}" for r, n in STRUCTURE_LISTS])
def test_structure_word_lists_are_in_the_policy(policy: Policy, rule_id: str, name: str) -> None:
    assert len(policy.compiled().regex(rule_id, name)) == 1


def test_affiliation_names_the_organisation(policy: Policy) -> None:
    m = policy.compiled().regex("QA-06", "affiliation")[0].match("美年大健康的合作体检")
    assert m is not None and m.group("org") == "美年大健康"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("喂 您好 雷先生吗 我是客服小郑", "喂,您好,雷先生吗?我是客服小郑"),  # pauses, and a question after 吗
        ("CXW 什么 200 什么的", "CXW,什么,200,什么的"),  # a pause beside any Chinese character
        ("Apple Store", "Apple Store"),  # a space between Latin words stays
        ("好的,谢谢。", "好的,谢谢。"),  # punctuated text is unchanged
    ],
)
def test_pauses_read_as_punctuation(text: str, expected: str) -> None:
    from qa.rules.textutil import normalize

    assert normalize(text) == expected
    assert len(normalize(text)) == len(text)  # offsets into the original text stay valid

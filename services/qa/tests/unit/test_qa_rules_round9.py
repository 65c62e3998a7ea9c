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
    # QA-11: the one who answers says the matter is theirs to decide (这些事都是我管,跟我说就行): their yes is the
    # buyer's own, not a proxy's
    (
        "11-decider-says-yes",
        [
            ("a", "您好,我是中国移动的客户经理小李,请问是王建国王先生家吗?"),
            ("c", "这是我爸的手机,我是他儿子,家里这些事都是我管,你跟我说就行。"),
            ("a", "好的王先生,今天来电是想跟您介绍一下宽带升级,两百兆每月只加十块钱,给您升级可以吗?"),
            ("c", "可以,升吧。"),
            ("a", "好的,已经给您办好了。祝您生活愉快,请您先挂机。"),
            BYE,
        ],
        {"disposition": "success"},
        "QA-11",
        False,
    ),
    (
        "11-proxy-without-say-still-read",
        [
            ("a", "您好,我是中国移动的客户经理小李,请问是王建国王先生家吗?"),
            ("c", "这是我爸的手机,我是他儿子,他出去了。"),
            ("a", "好的,今天来电是想介绍宽带升级,两百兆每月只加十块钱,给您升级可以吗?"),
            ("c", "可以,升吧。"),
            ("a", "好的,已经给您办好了。祝您生活愉快,请您先挂机。"),
            BYE,
        ],
        {"disposition": "success"},
        "QA-11",
        True,
    ),
    # QA-09: 十块五一斤 (the jiao digit, then the unit) and 一斤便宜一块 (一块 after a word of cost) are prices; a
    # wage told to tempt (一个月能拿一万多) is none
    (
        "09-jiao-then-unit",
        std(("c", "玉米种子怎么卖?"), ("a", "今年的新种子,十二块五一斤,比去年还便宜。")),
        {"campaign": {"price_on_phone": False}},
        "QA-09",
        True,
    ),
    (
        "09-a-yuan-cheaper",
        std(("c", "现在订有啥好处?"), ("a", "现在提前订,一袋便宜一块,到时候直接送到您家。")),
        {"campaign": {"price_on_phone": False}},
        "QA-09",
        True,
    ),
    (
        "09-a-piece-is-no-yuan",
        std(("c", "地方够吗?"), ("a", "您院子里那一块空地正好放得下,起一块修一块。")),
        {"campaign": {"price_on_phone": False}},
        "QA-09",
        False,
    ),
    (
        "09-wage-is-no-price",
        std(("c", "学出来有用吗?"), ("a", "学出来考了证,一个月能挣八千多,厂里抢着要。")),
        {"campaign": {"price_on_phone": False}},
        "QA-09",
        False,
    ),
    # QA-06: the team's own name with one character slipped by the recogniser (青河净水 for 青禾净水) is the team;
    # another's official goods (格力官方的空调, 格力官方授权) or branch (华为在本县的分公司) present under its name;
    # a place is no organisation (我们就是镇上的门店); 俺 is 我 (俺们是…)
    (
        "06-own-name-slipped",
        [("a", "您好 我是青河净水的小李 给您回个电话 说一下滤芯更换的事"), YES, CLOSE, BYE],
        {"campaign": {"brand": "青禾净水", "authorized_brands": ["青禾净水", "青禾"]}},
        "QA-06",
        False,
    ),
    (
        "06-another-official-goods",
        std(("c", "你们卖的是啥牌子?"), ("a", "我们这批是格力官方的空调,格力官方授权的,质量您放心。")),
        {},
        "QA-06",
        True,
    ),
    (
        "06-official-denied",
        std(("c", "你们是格力官方的吗?"), ("a", "不是格力官方的,我们是中国移动自己的渠道。")),
        {},
        "QA-06",
        False,
    ),
    (
        "06-another-branch",
        std(("a", "我们中国移动这个网点其实就是华为在本县的分公司,找我们就等于找华为。")),
        {},
        "QA-06",
        True,
    ),
    (
        "06-place-branch-is-no-organisation",
        std(("a", "我们就是镇上的门店,您过来很方便。")),
        {},
        "QA-06",
        False,
    ),
    (
        "06-northern-we",
        std(("c", "你是哪儿的?"), ("a", "俺们是福田的,福田官方的二手车,您放心。")),
        {},
        "QA-06",
        True,
    ),
    # QA-12: a figure the agent just said, echoed (每月八十九 -> 八十九就八十九), is no age; a school stage the agent
    # just offered, said back, is a course; a stage the customer gave as a child's stays the child's; an offer
    # sent on to a relative is no pitch; an elderly customer pushed on against refusals is marketed to
    (
        "12-echoed-price-is-no-age",
        std(
            ("a", "升级以后每月八十九,您看给您办上?"),
            ("c", "办吧,八十九就八十九。"),
            ("a", "好的,给您办好了。"),
        ),
        {"lead": {"birth_year": 1980}, "disposition": "success"},
        "QA-12",
        False,
    ),
    (
        "12-course-stage-said-back",
        std(
            ("c", "我闺女高二了,数学跟不上。"),
            ("a", "我们现在只开初中数学,一对一的。"),
            ("c", "初中的对高二有啥用,她又不念初中。"),
            ("a", "那您看暑假要不要给她报个初中衔接的复习班?"),
        ),
        {"lead": {"birth_year": 1978}},
        "QA-12",
        False,
    ),
    (
        "12-offer-sent-to-a-relative",
        [
            ("a", "您好,我是中国移动的客户经理小李,今天打电话想介绍一下会员日活动,请问是王奶奶吗?"),
            ("c", "是我,我七十八了,手机上的事都是我孙子弄。"),
            ("a", "好的奶奶,那活动的事我就不跟您说了,以后活动的消息发给您孙子,您看行吗?"),
            ("c", "行行。"),
            CLOSE,
            BYE,
        ],
        {"lead": {"birth_year": 1948}, "disposition": "no_interest"},
        "QA-12",
        False,
    ),
    (
        "12-elderly-pushed-against-refusals",
        [
            ("a", "您好,我是中国移动的客户经理小李,我们在做老人家里装防滑扶手的活动,请问是王奶奶吗?"),
            ("c", "是我。我七十八了,家里好好的,装啥子。"),
            ("a", "奶奶,七十八才更要装嘛,免得摔跤。"),
            ("c", "不用了,我不要。"),
            ("a", "您先听我说完,我们一天就弄完。"),
            ("c", "我说了不要,你们莫打了。"),
            ("a", "那这样,我明天让师傅顺路过去看一眼,看了您再定。"),
            ("c", "挂了!"),
        ],
        {"lead": {"birth_year": 1948}, "disposition": "refused"},
        "QA-12",
        True,
    ),
    # QA-04: "nothing wrong, so why V" (屋里好好的,换啥子) refuses; the same no said twice over (不去不去) refuses; the
    # price made light of (又不贵) or the address asked for (给个地址) pushes; the refusal argued with in a question or
    # reproach at the customer pushes
    (
        "04-why-change-a-good-one",
        std(
            ("c", "热水器好好的,换啥子。"),
            ("a", "您那台用了八年了,新款省电一半。"),
            ("c", "不换,不需要。"),
            ("a", "现在换还送安装。"),
            ("c", "我说了不换。"),
            ("a", "那我先给您留一台,您周末来看看吧?"),
        ),
        {},
        "QA-04",
        True,
    ),
    (
        "04-no-said-twice-over",
        std(
            ("c", "不去。"),
            ("a", "体验课是免费的,您带孩子来看看?"),
            ("c", "我说了不去。"),
            ("a", "周六上午也有一节,不耽误上学。"),
            ("c", "不去不去。"),
            ("a", "那我先给孩子占个位置吧?"),
        ),
        {},
        "QA-04",
        True,
    ),
    (
        "04-price-made-light-of",
        std(
            ("c", "不要,家里有了。"),
            ("a", "我们这款更好吃,狗都抢着吃。"),
            ("c", "真不用。"),
            ("a", "先寄您两包尝尝?"),
            ("c", "我说了不要。"),
            ("a", "试吃装就九块钱,又不贵,您给个地址嘛。"),
        ),
        {},
        "QA-04",
        True,
    ),
    (
        "04-refusal-argued-with",
        std(
            ("c", "孩子不学。"),
            ("a", "八岁正是学的时候。"),
            ("c", "不学了,他怕水。"),
            ("a", "怕水的孩子我们见多了。"),
            ("c", "我说了不学,你别劝了。"),
            ("a", "孩子不会游泳,万一掉水里怎么办?您当妈的就不替孩子想想吗?"),
            ("c", "你这人怎么说话呢!"),
        ),
        {},
        "QA-04",
        True,
    ),
    (
        "04-bare-retort-is-no-push",
        std(
            ("c", "孩子不学。"),
            ("a", "八岁正是学的时候。"),
            ("c", "不学了,他怕水。"),
            ("a", "怕水的孩子我们见多了。"),
            ("c", "我说了不学,你们都是骗子!"),
            ("a", "您这是什么态度?我好好跟您说话呢。"),
            ("c", "你这人怎么说话呢!"),
        ),
        {},
        "QA-04",
        False,
    ),
    (
        "04-correction-said-twice-is-no-refusal",
        std(
            ("c", "不用了。"),
            ("a", "宽带升级以后网速快一倍。"),
            ("c", "不是不是,我是说我家已经是两百兆了。"),
            ("a", "那可以升到五百兆,每月只加十块。"),
            ("c", "我说了不用。"),
            ("a", "好的,那我给您登记一下五百兆的资料吧?"),
        ),
        {},
        "QA-04",
        False,
    ),
    (
        "04-stop-after-three-is-no-push",
        std(
            ("c", "孩子不学。"),
            ("a", "八岁正是学的时候。"),
            ("c", "不学了,他怕水。"),
            ("a", "怕水的孩子我们见多了。"),
            ("c", "我说了不学,你别劝了。"),
            ("a", "好的,那不打扰您了,您还有什么问题吗?"),
        ),
        {},
        "QA-04",
        False,
    ),
    # QA-07: blame weighed with 全 (这能全怪我们吗?), "why didn't you" with a past time (上周怎么不说?), the hope
    # mocked (哪有这种好事?), the duty held up (您当家长的就不替孩子想想吗?), 你急哪样 as offence, and a recogniser's
    # question without a question mark, taken offence at
    (
        "07-blame-weighed-all",
        std(("c", "装好的门上个月就掉漆了。"), ("a", "都过了一个多月才说,这能全怪我们吗?")),
        {},
        "QA-07",
        True,
    ),
    (
        "07-why-not-then",
        std(("c", "装好的门上个月就掉漆了。"), ("a", "那您上周怎么不打电话?")),
        {},
        "QA-07",
        True,
    ),
    (
        "07-hope-mocked",
        std(("c", "那能用医保报吗?"), ("a", "家用的东西还想让医保报,哪有这种好事?")),
        {},
        "QA-07",
        True,
    ),
    (
        "07-hope-answered-plainly",
        std(("c", "那能用医保报吗?"), ("a", "家用的暂时报不了医保,这个我得跟您说清楚。")),
        {},
        "QA-07",
        False,
    ),
    (
        "07-duty-held-up",
        std(("c", "老人的事我不管。"), ("a", "你做儿子的就不为老人想想?")),
        {},
        "QA-07",
        True,
    ),
    (
        "07-duty-praised",
        std(("a", "您当家长的肯定最替孩子着想,所以我们才推荐先上体验课。")),
        {},
        "QA-07",
        False,
    ),
    (
        "07-rushing-taken-as-offence",
        std(
            ("c", "还没商量好。"),
            ("a", "您两口子商量一个礼拜了,自己都说不清要啥子,我咋个给您设计嘛?"),
            ("c", "这不是正在商量嘛,你急哪样。"),
        ),
        {},
        "QA-07",
        True,
    ),
    (
        "07-recogniser-question-taken-as-offence",
        std(
            ("c", "这车修过没有"),
            ("a", "您买旧的 还想要跟新的一样啊 哪台旧车没修过"),
            ("c", "你这啥态度"),
        ),
        {},
        "QA-07",
        True,
    ),
    # QA-05: 不用掏现钱 promises; 要自费 contradicts it
    (
        "05-no-cash-then-self-paid",
        std(
            ("a", "这个理疗仪医保卡能直接刷,您自己不用掏现钱。"),
            ("c", "那好,怎么买?"),
            ("a", "这个是家用的,要自费。"),
            ("c", "你刚才还说能刷医保,现在又要自费,这不是糊弄人嘛。"),
        ),
        {},
        "QA-05",
        True,
    ),
    (
        "05-not-a-grain-with-nothing-between",
        std(
            ("a", "我们这款猫粮,小麦一粒都不放。"),
            ("c", "那给我来一袋。"),
            ("a", "配料表上写着小麦粉,不过量很少。"),
            ("c", "你刚刚还说一粒都不放,这不是哄人吗?我要退。"),
        ),
        {},
        "QA-05",
        True,
    ),
    # QA-02: 来书院转一圈, 来驾校一趟 invite; sent to another hospital with 到…去问 and told not to make the trip do not
    (
        "02-come-round-the-academy",
        std(("c", "你们有美术课吗?"), ("a", "美术课我们没有开。周末您带孩子来书院转一圈,校长跟您聊聊。")),
        {"eligibility": "ineligible"},
        "QA-02",
        True,
    ),
    (
        "02-come-to-the-school-once",
        std(("c", "能报名吗?"), ("a", "按规定您现在报不了名,我们也没办法。这礼拜有空来驾校一趟,校长跟您聊聊。")),
        {"eligibility": "ineligible"},
        "QA-02",
        True,
    ),
    (
        "02-referred-and-told-not-to-come",
        std(
            ("c", "你们做隐形矫正吗?"),
            ("a", "我们做不了。您就不用专门到我们门诊跑一趟了,可以到市里有这个项目的口腔医院去问。"),
        ),
        {"eligibility": "ineligible"},
        "QA-02",
        False,
    ),
    # QA-01: a set phrase (你让我一点、我让你一点) addresses nobody; 孃孃 is a title; a name and 家 asks for a household
    (
        "01-set-phrase-addresses-nobody",
        std(("c", "楼上装修吵了我一个月。"), ("a", "邻里之间本来就该你让我一点、我让你一点。")),
        {},
        "QA-01",
        False,
    ),
    (
        "01-sichuan-aunt-title",
        [("a", "您好,我是中国移动的客户经理小李,请问是王建国王孃孃吗?"), YES, PURPOSE, CLOSE, BYE],
        {},
        "QA-01",
        False,
    ),
    (
        "01-name-and-household",
        [("a", "您好,我是中国移动的客户经理小李,请问是王建国家吗?"), YES, PURPOSE, CLOSE, BYE],
        {},
        "QA-01",
        False,
    ),
    # QA-03a: an agent cut off mid-sentence by a customer who ends the call had no floor to close
    (
        "03a-agent-cut-off-then-customer-hangs-up",
        [OPEN, YES, PURPOSE, ("c", "不要不要。"), ("a", "您先别急,我就让师傅去量一下——"), ("c", "挂了!")],
        {},
        "QA-03a",
        False,
    ),
    # QA-06 (qa-variants-48 … 50): the work handed to the team by a body, a body's standing conferred, a hospital
    # recommending the team or its goods the same as the hospital's, a television programme, another brand's name to
    # look for, another firm's goods or works, one firm with another, an offer made together with another; a place
    # is no organisation, a modal after 是 names none
    (
        "06-work-handed-by-a-body",
        std(("a", "是这样,县水利局今年把这一片的水井检修安排给我们了,所以挨家挨户打电话。")),
        {},
        "QA-06",
        True,
    ),
    (
        "06-standing-conferred",
        std(("a", "我们是省家具行业协会认定的诚信示范单位,质量您放心。")),
        {},
        "QA-06",
        True,
    ),
    (
        "06-hospital-recommends-us",
        std(("a", "县中医院骨科都是推荐我们的护腰带,医院里开的就是我们这款。")),
        {},
        "QA-06",
        True,
    ),
    (
        "06-same-as-the-hospitals",
        std(("a", "这个药枕跟县人民医院里开的一样,您放心用。")),
        {},
        "QA-06",
        True,
    ),
    (
        "06-on-a-television-programme",
        std(("a", "我们家的茶园上过中央台《味道中国》的,好多人专门来买。")),
        {},
        "QA-06",
        True,
    ),
    (
        "06-another-name-to-look-for",
        std(("a", "买苗一定得认准丰农俩字,我们这苗就是丰农家的苗。")),
        {},
        "QA-06",
        True,
    ),
    (
        "06-one-firm-with-another",
        std(("a", "我们现在跟五粮春是一家的,就是五粮春的酒厂出的酒。")),
        {},
        "QA-06",
        True,
    ),
    (
        "06-not-one-firm-with-another",
        std(("c", "你们跟五粮春是一家的吧?"), ("a", "我们跟五粮春不是一家的,我们是中国移动自己的渠道。")),
        {},
        "QA-06",
        False,
    ),
    (
        "06-offered-together",
        std(("a", "这是我们这个月跟驴友之家俱乐部一起出的联名卡,全国营地都能用。")),
        {},
        "QA-06",
        True,
    ),
    (
        "06-partner-with-a-place-before-it",
        std(("a", "我们和成都那边的国家农业科学研究所是合作单位,方案都是所里专家出的。")),
        {},
        "QA-06",
        True,
    ),
    (
        "06-a-modal-after-is-names-nobody",
        std(("c", "押金怎么交?"), ("a", "押金是可以刷信用卡预授权的,不用真扣。")),
        {},
        "QA-06",
        False,
    ),
    # QA-07: 说的是人话吗 takes offence (不听人话 at a push is QA-04's); the recogniser's 啥…呀 is a question; lacking
    # common sense, too old for it, a failing blamed, a small price mocked, told to speak plainly, praise in mockery
    (
        "07-human-speech-offence",
        std(
            ("c", "那个谱子我都看不懂。"),
            ("a", "您连一二三都对不上号 那还学啥乐器呀 我们又不是教识数的"),
            ("c", "你这说的是人话吗"),
        ),
        {},
        "QA-07",
        True,
    ),
    (
        "07-common-sense-lacking",
        std(("c", "我想要插上电就能用的,最好别打孔。"), ("a", "这点常识都没有还想在阳台上装?")),
        {},
        "QA-07",
        True,
    ),
    (
        "07-too-old-for-it",
        std(("c", "我六十五了,腰不好。"), ("a", "六十五了还折腾啥跑步机啊?")),
        {},
        "QA-07",
        True,
    ),
    (
        "07-age-told-kindly",
        std(("c", "我六十五了,腰不好。"), ("a", "六十五正是该保养的时候,这款走步机速度慢,很安全。")),
        {},
        "QA-07",
        False,
    ),
    (
        "07-failing-blamed",
        std(("c", "三百多?不划算。"), ("a", "三百多都嫌贵?几百块钱都舍不得,难怪生意一直做不大。")),
        {},
        "QA-07",
        True,
    ),
    (
        "07-speak-plainly",
        std(("c", "我想买点,还没想好。"), ("a", "您倒是说个准话呀,光说买点我怎么给您配?")),
        {},
        "QA-07",
        True,
    ),
    (
        "07-praise-in-mockery",
        std(("c", "买的三盆全死了。"), ("a", "那您可真是养花高手啊,三盆一盆不剩。")),
        {},
        "QA-07",
        True,
    ),
    (
        "07-praise-meant",
        std(("c", "买的三盆都开花了。"), ("a", "那您可真是养花高手啊,我们好多客户都养不开。")),
        {},
        "QA-07",
        False,
    ),
    (
        "07-attitude-offence",
        std(("c", "差了三分没过。"), ("a", "您学都没学完还想全额退 这可能吗"), ("c", "你这个态度 我要投诉")),
        {},
        "QA-07",
        True,
    ),
    # QA-11: "shall we send you one too?" proposes the sale; "then we'll add it for you" states it
    (
        "11-send-one-too-on-mm",
        [
            OPEN,
            YES,
            PURPOSE,
            ("a", "对了,我们还有个配套的路由器,给您一起发一台吧?"),
            ("c", "嗯。"),
            ("a", "好,那就给您加上路由器,明天一块发过去。祝您生活愉快,请您先挂机。"),
            ("c", "哦。"),
        ],
        {"disposition": "success"},
        "QA-11",
        True,
    ),
    # QA-05: a quiet walk-out that says the promise back, a guarantee of a year or of a time in other words, a part
    # the team will not answer for, all of one material, lasting to the end, more to buy after all
    (
        "05-walk-out-saying-the-promise-back",
        std(
            ("a", "这台落地价就是九千六,一分钱都不会多。"),
            ("c", "那好,我明天过来。"),
            ("a", "对了,上牌手续费五百另算。"),
            ("c", "九千六一分不多,然后再加五百,我还是再看看别家吧。"),
        ),
        {},
        "QA-05",
        True,
    ),
    (
        "05-walk-out-without-the-promise",
        std(
            ("a", "这台落地价就是九千六,一分钱都不会多。"),
            ("c", "那好,我明天过来。"),
            ("a", "对了,上牌手续费五百另算。"),
            ("c", "哦,我还是再看看别家吧。"),
        ),
        {},
        "QA-05",
        False,
    ),
    (
        "05-a-year-then-not-answered-for",
        std(
            ("a", "这个米缸保证存一年不生虫。"),
            ("c", "那给我来两个。"),
            ("a", "不过米得先晒干再装,要不然生虫我们不管。"),
            ("c", "你刚才咋说的?保证不生虫,这会儿又说不管了,这不是坑人嘛。"),
        ),
        {},
        "QA-05",
        True,
    ),
    (
        "05-all-of-one-material",
        std(
            ("a", "是的,全不锈钢的架子,我们只卖不锈钢的。"),
            ("c", "那明天装。"),
            ("a", "跟您说下,这批的横杆是铁的喷漆,看着一样。"),
            ("c", "你刚才还说全不锈钢的,我不装了,你们这是骗人。"),
        ),
        {},
        "QA-05",
        True,
    ),
    (
        "05-to-the-end-then-more-to-buy",
        std(
            ("a", "我们这个驱蚊器一台管一个院子,一直用到底,不用再补。"),
            ("c", "那来两台。"),
            ("a", "另外讲一下,一个夏天后面还要再补一盒药片才够。"),
            ("c", "你刚才讲不用再补,一转背又要补,我要找你们老板。"),
        ),
        {},
        "QA-05",
        True,
    ),
    # QA-09: a figure in 块 before a fee word is a price; QA-01: the words a message says, read out, address nobody;
    # QA-02: 上我们基地来溜达溜达 invites; QA-04: 莫再讲了 and 不得买 refuse; QA-14: 有个讲座 gives a purpose
    (
        "09-yuan-before-a-fee",
        std(("a", "资料有问题开不出来的话,我们要扣三百块服务费。")),
        {"campaign": {"price_on_phone": False}},
        "QA-09",
        True,
    ),
    (
        "01-message-read-out",
        std(("a", "车管所那个短信上写的是你的机动车即将超过检验有效期,就是提醒您月底之前要检。")),
        {},
        "QA-01",
        False,
    ),
    (
        "02-come-and-stroll-round",
        std(("c", "你们能发到海南吗?"), ("a", "这个我们办不了。您要是回来过年,上我们基地来溜达溜达,喝口茶。")),
        {"eligibility": "ineligible"},
        "QA-02",
        True,
    ),
    (
        "04-regional-refusals",
        std(
            ("c", "不要,今年不打药。"),
            ("a", "今年虫子多,不打损失大。"),
            ("c", "我讲了不要。"),
            ("a", "这么大一片园子,烂了再后悔就晚了。"),
            ("c", "莫再讲了,我不得买。"),
            ("a", "那这样,我给您先送一桶来试试,怎么样?"),
        ),
        {},
        "QA-04",
        True,
    ),
    (
        "14-a-talk-is-a-purpose",
        [
            ("a", "蒋女士您好,我是中国移动的小周,我们下周在营业厅有个讲座,讲宽带提速的事,您可以来听。"),
            ("c", "好的,几点?"),
            CLOSE,
            BYE,
        ],
        {},
        "QA-14",
        False,
    ),
    # qa-variants-52 … 55. QA-06: goods named after another (叫"X款", X出品), a body's authorised point, an
    # institution's base, working for a body, bought by or under another, another's mark printed, a co-brand, the
    # bureau's own issue, another's local version; a place with 镇 is no organisation, nor 别人 in 不打别人的牌子
    (
        "06-named-after-another",
        std(("a", "我们老板以前在全聚德做了二十年,所以这款炉对外都叫“全聚德款”,您跟客人讲是全聚德出品都行。")),
        {},
        "QA-06",
        True,
    ),
    (
        "06-a-bodys-authorised-point",
        std(("a", "我们是县农业农村局“临安山核桃”地理标志的授权加工点,加工出来都能贴标。")),
        {},
        "QA-06",
        True,
    ),
    (
        "06-an-institutions-base",
        std(("a", "我们是浙江大学园艺学院的教学实践基地,方案都是学院的老师出的。")),
        {},
        "QA-06",
        True,
    ),
    (
        "06-working-for-a-body",
        std(("a", "今年是省住建厅的改造工程,我们就是给住建厅干活的。")),
        {},
        "QA-06",
        True,
    ),
    (
        "06-bought-by-another",
        std(("a", "我们去年让国家电网给收了,现在算国家电网旗下的,您放心。")),
        {},
        "QA-06",
        True,
    ),
    (
        "06-another-mark-printed",
        std(("a", "我们盒子上可以给您印大白兔的牌子,客人一看是大白兔,面子足。")),
        {},
        "QA-06",
        True,
    ),
    (
        "06-no-other-mark",
        std(("c", "你们是不是打别家的牌子?"), ("a", "我们不打别人的牌子,都是中国移动自己的。")),
        {},
        "QA-06",
        False,
    ),
    (
        "06-a-co-brand",
        std(("a", "今年我们有两个牌子的礼盒,德芙联名款,客人拿到都讲高级。")),
        {},
        "QA-06",
        True,
    ),
    (
        "06-a-co-branded-card-is-no-name",
        std(("a", "今天来电是想邀请您办一张出行联名卡,首年免年费。")),
        {},
        "QA-06",
        False,
    ),
    (
        "06-another-local-version",
        std(("a", "我们这个袋子就是小林袋的中国版,小林授权在国内生产的。")),
        {},
        "QA-06",
        True,
    ),
    (
        "06-a-town-base-is-no-organisation",
        std(("a", "我们是宣汉峰城镇的熏腊基地,打电话问下您家腊肉要不要帮您熏。")),
        {},
        "QA-06",
        False,
    ),
    # QA-07: Cantonese 咩 asks (您估佢会自己好返咩 reads as a question), "if not them, who" with the verb said twice
    # (不招虫子招哪个), "are you waiting until … before" (是不是要等…先来后悔啊), "you call this X"; offence:
    # 咒我, 没礼貌
    (
        "07-cantonese-question-taken-as-offence",
        std(("c", "个炉又着唔到火。"), ("a", "个炉两年都冇保养过 您估佢会自己好返咩"), ("c", "你咩态度啊")),
        {},
        "QA-07",
        True,
    ),
    (
        "07-if-not-them-who",
        std(("c", "今年园子虫子凶得很。"), ("a", "您一盏灯都不挂,您说不招虫子招哪个嘛")),
        {},
        "QA-07",
        True,
    ),
    (
        "07-waiting-until-before",
        std(("c", "我那个炉用得好好的。"), ("a", "炉门都锈穿了,您是不是要等它烧着铺子才肯换啊")),
        {},
        "QA-07",
        True,
    ),
    (
        "07-you-call-this",
        std(("c", "我家那炕还挺热乎的。"), ("a", "炕梢凉得冰手,您管这叫热乎?")),
        {},
        "QA-07",
        True,
    ),
    (
        "07-persuasion-wait-and-see-is-none",
        std(("c", "我再想想。"), ("a", "好的,等您用上了就知道好了,有问题随时找我。")),
        {},
        "QA-07",
        False,
    ),
    # QA-10: such words never said by the team, "when did I ever say", "you didn't get it" with 那是
    (
        "10-such-words-never-said",
        std(("c", "你们的人讲头一年免费的。"), ("a", "头一年免费这种话我们公司根本不会讲。")),
        {},
        "QA-10",
        True,
    ),
    (
        "10-when-did-i-ever-say",
        std(("c", "我寻思你们是不要钱给改。"), ("a", "您这话就不对了,我啥时候说过不要钱?")),
        {},
        "QA-10",
        True,
    ),
    (
        "10-you-did-not-get-it",
        std(("c", "我记着你们说旧的给拆了。"), ("a", "您那是没整明白,我们从来就不管拆旧的。")),
        {},
        "QA-10",
        True,
    ),
    (
        "10-own-side-blamed-is-none",
        std(("c", "我记着你们说旧的给拆了。"), ("a", "是我们上回没讲清楚,拆旧的确实不在里头,给您添麻烦了。")),
        {},
        "QA-10",
        False,
    ),
    # QA-04: regional and indirect refusals (真的莫得时间, 我们自己在家教, 娃不叫我乱买, 整不着, 我都说了三遍了)
    (
        "04-no-time-own-way-no-use",
        std(
            ("c", "周末都排满了,真的莫得时间。"),
            ("a", "周三晚上也有班。"),
            ("c", "我们自己在家教。"),
            ("a", "老师教得更系统。"),
            ("c", "我都说了三遍了,莫打了。"),
            ("a", "您再听我说一句,这个月报一期送一期,您算一下嘛。"),
        ),
        {},
        "QA-04",
        True,
    ),
    # QA-11 (Cantonese): 落单 is the sale's verb, 帮您落单了 states it; QA-09: fen prices (四分五一个), 算您七百
    (
        "11-cantonese-order-on-mm",
        [
            OPEN,
            YES,
            PURPOSE,
            ("a", "现货有,价格是八千二,您看今日帮您落单好唔好"),
            ("c", "嗯"),
            ("a", "那我就帮您落单了,听日师傅送过去,祝您生意兴隆,请您先挂机"),
            ("c", "啊"),
        ],
        {"disposition": "success"},
        "QA-11",
        True,
    ),
    (
        "09-fen-prices",
        std(("c", "袋子多少钱一个?"), ("a", "双层袋四分五一个,单层的两分八。")),
        {"campaign": {"price_on_phone": False}},
        "QA-09",
        True,
    ),
    (
        "09-counted-for-you",
        std(("c", "两盏呢?"), ("a", "这个月两盏算您七百还送一根杆子。")),
        {"campaign": {"price_on_phone": False}},
        "QA-09",
        True,
    ),
    (
        "09-a-score-is-no-price",
        std(("c", "孩子考得怎么样?"), ("a", "上次测验考了八十五分,进步挺大。")),
        {"campaign": {"price_on_phone": False}},
        "QA-09",
        False,
    ),
    # QA-15: 一哈 is 一下 (您稍等一哈,我看一哈价格单); QA-01: words in single quotes are another's
    (
        "15-south-western-hold-announced",
        [
            OPEN,
            YES,
            PURPOSE,
            ("a", "您稍等一哈,我看一哈这批的价格单,不到一分钟。"),
            ("hold", 50),
            ("a", "谢谢您等我,这款一千五一把。"),
            CLOSE,
            BYE,
        ],
        {},
        "QA-15",
        False,
    ),
    (
        "01-single-quoted-words",
        std(("a", "上礼拜一个面馆老板买了一台,人家说'你这机器揉得比我还匀'。")),
        {},
        "QA-01",
        False,
    ),
    # qa-variants-56 … 59. Text: Wu, Gan and Min words read as Mandarin (侬 你, 勿 / 毋 / 伓 不, 毋免 不用,
    # 冇要 / 无爱 不要,
    # 伐 吗); QA-04 refusals in those words, the verb asked back in scorn (修啥修), pushes by sending or inviting
    (
        "04-wu-refusals",
        std(
            ("c", "勿要勿要,我又勿出门。"),
            ("a", "年底侬总归要出差额呀。"),
            ("c", "阿拉屋里自家喂喂就好了,覅搞。"),
            ("a", "侬出差一礼拜哪能办?"),
            ("c", "我讲了三趟了,覅要。"),
            ("a", "侬先试一趟好伐,第一趟上门半价。"),
        ),
        {},
        "QA-04",
        True,
    ),
    (
        "04-min-and-gan-refusals",
        std(
            ("c", "免啦免啦。"),
            ("a", "您上次拍过片,现在做假牙最合适。"),
            ("c", "毋免,我食糜就好。"),
            ("a", "牙齿都掉了还讲毋免?"),
            ("c", "我讲毋免就毋免啦。"),
            ("a", "您先来拍个片嘛,拍片不用钱。"),
        ),
        {},
        "QA-04",
        True,
    ),
    (
        "04-scorned-verb-refuses",
        std(
            ("c", "不用了。"),
            ("a", "梁都用了五十年了。"),
            ("c", "老屋要拆了,修啥修。"),
            ("a", "塌下来砸到人就晚了。"),
            ("c", "讲了不要就是不要。"),
            ("a", "我先派师傅上门看一看,比塌掉划算多了。"),
        ),
        {},
        "QA-04",
        True,
    ),
    (
        "01-wu-you-is-you",
        std(("a", "阿拉看到侬上个月登记过,侬屋里有只猫对伐?")),
        {},
        "QA-01",
        True,
    ),
    # QA-07: "can you bear it", too mean even for that, their own no mocked, the blame thrown back on the team,
    # a threat to their post, "who still uses X"
    (
        "07-can-you-bear-it",
        std(("c", "老屋要拆迁的。"), ("a", "没拆之前梁塌下来砸到人,您担得起吗?")),
        {},
        "QA-07",
        True,
    ),
    (
        "07-no-mocked",
        std(("c", "我不要。"), ("a", "连只猫都照顾不好还讲不要?")),
        {},
        "QA-07",
        True,
    ),
    (
        "07-blame-thrown-back",
        std(("c", "猫瘦了一圈。"), ("a", "您自己出去玩十天,猫瘦了也要怪我们啊。")),
        {},
        "QA-07",
        True,
    ),
    (
        "07-threat-to-a-post",
        std(("c", "我们刚洗过。"), ("a", "洗得干不干净您看过吗?食堂着了火您这个校长还当得成吗?")),
        {},
        "QA-07",
        True,
    ),
    (
        "07-who-still-uses",
        std(("c", "我用算盘记账。"), ("a", "现在谁还用算盘啊?")),
        {},
        "QA-07",
        True,
    ),
    # QA-06: another's partner (顺丰的包装合作商), another's own-use goods (顺丰专用果盒), calling on another's behalf,
    # another's staff channel, another's name lent, another's upgrade, another firm after "our" (咱金垦种业)
    (
        "06-anothers-partner-and-own-use-goods",
        std(("a", "我们是京东的包装合作商,这是京东专用果盒,寄京东不用换箱子。")),
        {},
        "QA-06",
        True,
    ),
    (
        "06-on-anothers-behalf",
        std(("a", "我这边代表支付宝给您打的电话,您店里的收款码要升级。")),
        {},
        "QA-06",
        True,
    ),
    (
        "06-anothers-staff-channel",
        std(("a", "我们是农夫山泉内部员工的渠道,这机子就是农夫山泉的内购货。")),
        {},
        "QA-06",
        True,
    ),
    (
        "06-anothers-name-lent",
        std(("a", "同仁堂把名号授权给我们用了,您跟病人就说这是同仁堂的设备。")),
        {},
        "QA-06",
        True,
    ),
    (
        "06-anothers-upgrade",
        std(("a", "我们这个就是美的那款净化器的升级版,美的二代。")),
        {},
        "QA-06",
        True,
    ),
    (
        "06-another-firm-after-our",
        std(("a", "今年咱登海种业主推这个早熟的玉米。")),
        {},
        "QA-06",
        True,
    ),
    (
        "06-own-firm-after-our",
        std(("a", "今年咱中国移动主推这个新套餐。")),
        {},
        "QA-06",
        False,
    ),
    # QA-02: dropping in to look, touch or pick one; QA-14: the team's line of work for whom, with no pause, and a
    # name without a Han surname after the pause (客户经理 扎西平措)
    (
        "02-drop-in-and-pick-one",
        std(("c", "要能刷医保的。"), ("a", "医保那个我们接不了。您哪天有空来我们仓库挑一台,收收日用品的钱也行。")),
        {"eligibility": "ineligible"},
        "QA-02",
        True,
    ),
    (
        "14-line-of-work-unpaused",
        [("a", "甘老板您好我是中国移动的小覃给小店装收银系统的打扰您一下"), ("c", "你说"), CLOSE, BYE],
        {},
        "QA-14",
        False,
    ),
    (
        "14-name-without-han-surname",
        [("a", "朗杰大哥您好 我是中国移动的客户经理 扎西平措 给您打电话是想介绍一下宽带"), ("c", "你说"), CLOSE, BYE],
        {},
        "QA-14",
        False,
    ),
    # QA-05: a minimum after all against "no minimum", a life-long repair against five years; QA-11: Cantonese 得 is a
    # yes
    # only as a word of its own (晓得 is none), 好啦好啦就咁先 brushes off
    (
        "05-no-minimum-then-a-minimum",
        std(
            ("a", "三百个也能做,我们起订量没要求。"),
            ("c", "那好,给我报个价。"),
            ("a", "我看了一下,印字的盒子是一千个起印。"),
            ("c", "你刚才说没要求,现在又要一千个,我要投诉你们。"),
        ),
        {},
        "QA-05",
        True,
    ),
    (
        "05-life-long-then-five-years",
        std(
            ("a", "种植牙终身保修,您放心。"),
            ("c", "那我放心了。"),
            ("a", "对了,保修卡上写的是五年,五年以后要另外收费。"),
            ("c", "你刚才讲终身,现在讲五年,退给我,我要投诉。"),
        ),
        {},
        "QA-05",
        True,
    ),
    (
        "11-knowing-is-no-yes",
        [
            OPEN,
            YES,
            PURPOSE,
            ("a", "今年还订两张蚕种吧?"),
            ("c", "哦,晓得晓得。"),
            ("a", "那我给您登记两张了。"),
            ("c", "哦……"),
            CLOSE,
            BYE,
        ],
        {"disposition": "success"},
        "QA-11",
        True,
    ),
    (
        "11-cantonese-ok-is-yes",
        [
            OPEN,
            YES,
            PURPOSE,
            ("a", "桂味一年九百八,您认养一棵?"),
            ("c", "得,我认养一棵桂味。"),
            ("a", "好,帮您登记了一棵桂味。"),
            CLOSE,
            BYE,
        ],
        {"disposition": "success"},
        "QA-11",
        False,
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


def test_joined_patterns_keep_their_backreferences(policy: Policy) -> None:
    """A list's patterns are searched as one alternation; a numbered backreference in a later pattern (不(招)…\\1哪个)
    must still point at its own group, not at the first pattern's."""
    joined = policy.compiled().regex_any("QA-07", "reproach_more")
    assert joined is not None
    assert joined.search("您说不招虫子招哪个嘛") is not None
    assert joined.search("交警不拦您拦谁?") is not None
    assert joined.search("不拦您管谁") is None  # (two different verbs: no "if not them, who")

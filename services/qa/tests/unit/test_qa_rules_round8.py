"""Issue 17, eighth round (policy 2026.12.05): the kinds read from qa-variants-33's last three
calls, from the development sets written for this round by helpers who had not read the
detectors (qa-variants-34 … 44), each scored before it was read, and from qa-unseen-11 once
released. Every kind is checked here on
wordings of its own (other products, names and verbs), with hard negatives, so what is tested is
the kind and not those sets' sentences. A case that already passes on the checker before the
round (fb0bb2f, policy 2026.12.04) is a guard: a positive the round's new exemptions must not
swallow, or a hard negative its new readings must not fire on."""

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

CASES += [
    # QA-07: the customer's offence in regional and other words marks the agent's remark before it:
    # 说话啷个这样, 有必要这样讲话, 我不跟你吵, 说得我好像…似的, 你急啥子
    (
        "07-offence-sichuanese-how-you-talk",
        std(
            ("a", "您要是嫌贵,那您去买地摊货嘛,反正您也分不出好坏,对不对?"),
            ("c", "你这个人说话啷个这样嘛?"),
        ),
        {},
        "QA-07",
        True,
    ),
    (
        "07-offence-no-need-to-talk-so",
        std(
            ("a", "我们干这行十几年了,犯得着为了几十块钱糊弄您吗?"),
            ("c", "你有必要这样讲话吗?"),
        ),
        {},
        "QA-07",
        True,
    ),
    (
        "07-offence-wont-quarrel",
        std(
            ("a", "管道堵成这样,早干嘛不清?现在急了我上哪儿给您变个师傅出来?"),
            ("c", "行了行了,我不跟你吵。"),
        ),
        {},
        "QA-07",
        True,
    ),
    (
        "07-offence-as-if-i-knew-nothing",
        std(
            ("a", "这个道理做饭的人都懂,您多用几回就明白了。"),
            ("c", "你这话说得我好像连饭都不会做似的。"),
        ),
        {},
        "QA-07",
        True,
    ),
    (
        "07-offence-what-is-the-hurry",
        std(
            ("a", "您都拖了半个月了,还要拖到哪天嘛?货是等您的哇?"),
            ("c", "你急啥子嘛,我又没说不要。"),
        ),
        {},
        "QA-07",
        True,
    ),
    (
        "07-hurry-about-the-agent-own-side",
        # the customer's 急啥 answers the agent's own haste about its schedule, not a remark at them
        std(
            ("a", "师傅下午就要走了,我们这边排得很紧。"),
            ("c", "急啥子嘛,明天也行。"),
        ),
        {},
        "QA-07",
        False,
    ),
    (
        "07-offence-at-pushing-northwest",
        # 麻达 at being pushed on after a pitch: QA-04's matter, not a remark
        std(
            ("c", "不要,说了不要。"),
            ("a", "那您一个月打几次电话?我们这个套餐流量多,划算得很。"),
            ("c", "你这个人麻达得很。"),
        ),
        {},
        "QA-07",
        False,
    ),
    # QA-07: 您看得出…? is no polite 您看…; 前几天做什么去了? reproaches
    (
        "07-can-you-even-tell",
        std(
            ("a", "反正都是白瓷,您看得出啥区别嘛?"),
            ("c", "你这个人说话咋这样?"),
        ),
        {},
        "QA-07",
        True,
    ),
    (
        "07-what-were-you-doing",
        std(
            ("c", "婚宴的花我们不要了。"),
            ("a", "明天就办酒了,您今天才说不要,前几天做啥去了?"),
            ("c", "我也是刚知道。"),
        ),
        {},
        "QA-07",
        True,
    ),
    (
        "07-polite-you-see",
        std(
            ("a", "您看下周二上午给您装,行吗?"),
            ("c", "你这个人说话倒是客气。"),
        ),
        {},
        "QA-07",
        False,
    ),
    # QA-09: a dimension or a rating of the goods is no price
    (
        "09-dimensions-are-no-price",
        std(("a", "这款阀门口径八十,长三百二,耐压一点六兆帕,价格我回头发您书面报价。")),
        NO_PRICE,
        "QA-09",
        False,
    ),
    (
        "09-rated-speed-is-no-price",
        std(("a", "电机功率五千五,转速每分钟两千九。")),
        NO_PRICE,
        "QA-09",
        False,
    ),
    (
        "09-price-after-dimensions",
        std(("a", "口径八十的那款,一台一千二。")),
        NO_PRICE,
        "QA-09",
        True,
    ),
    # QA-02: come and have fun at our workshop (耍一哈) invites, whatever the verb
    (
        "02-come-have-fun-at-the-workshop",
        std(
            ("a", "这个单子我们做不了。"),
            ("c", "那算了。"),
            ("a", "您得空来我们作坊耍一下嘛,看看师傅们怎么做的。"),
        ),
        {"eligibility": "ineligible"},
        "QA-02",
        True,
    ),
    (
        "02-workshop-address-asked",
        std(
            ("a", "这个单子我们做不了。"),
            ("c", "你们作坊在哪儿?"),
            ("a", "在城南工业园三号,不过这单确实接不了。"),
        ),
        {"eligibility": "ineligible"},
        "QA-02",
        False,
    ),
    # QA-14: the lead's own sign-up recalled (您在展会上扫码留了电话) gives the call's purpose
    (
        "14-lead-left-a-number",
        opening("您好,我是青禾茶业的小罗,您上周在茶博会上扫码留了电话,说想要点明前茶。"),
        {},
        "QA-14",
        False,
    ),
    # QA-12: an elderly relative who answers, told the lead's delivery date is to be confirmed: no pitch
    (
        "12-delivery-confirmed-with-elderly-father",
        [
            ("a", "您好,请问是周立明周先生吗?我是中国移动的小姜。"),
            ("c", "他是我儿子,不在家。我是他爸,八十一了,啥事?"),
            ("a", "周伯您好,周先生订了一部手机,我跟他确认一下送货时间,麻烦您转告他,我下午再打。"),
            ("c", "好,我跟他说。"),
            CLOSE,
            BYE,
        ],
        {"disposition": "callback"},
        "QA-12",
        False,
    ),
    (
        "12-gift-offered-to-elderly-father",
        [
            ("a", "您好,请问是周立明周先生吗?我是中国移动的小姜。"),
            ("c", "他是我儿子,不在家。我是他爸,八十一了,啥事?"),
            ("a", "周伯您好,我们现在办宽带送一个月话费,您要不要来一份?"),
            ("c", "我不要。"),
            CLOSE,
            BYE,
        ],
        {"disposition": "callback"},
        "QA-12",
        True,
    ),
    # QA-11: the goods sent as the sale (…,明天给您送过去?) is the question; a bare 嗯…… is no yes
    (
        "11-send-it-tomorrow-answered-hmm",
        [
            OPEN,
            YES,
            ("a", "老规矩,辣椒面二十斤,明天给您送过去?"),
            ("c", "嗯……"),
            ("a", "好的,那就给您下单了。祝您生意兴隆。"),
            BYE,
        ],
        SOLD,
        "QA-11",
        True,
    ),
    (
        "11-send-it-tomorrow-answered-yes",
        [
            OPEN,
            YES,
            ("a", "老规矩,辣椒面二十斤,明天给您送过去?"),
            ("c", "要得,送过来嘛。"),
            ("a", "好的,那就给您下单了。祝您生意兴隆。"),
            BYE,
        ],
        SOLD,
        "QA-11",
        False,
    ),
]

CASES += [
    # QA-11: a yes taken back before the call ends (你先别下单…, 算了算了,这次先不要了), with no yes after it
    (
        "11-yes-taken-back-before-the-sale",
        [
            OPEN,
            YES,
            ("a", "那您要不要先订一箱?明天就送。"),
            ("c", "行,先来一箱。"),
            ("a", "好的,我记一下。"),
            ("c", "哎等等,我家里还有半箱,你先别下单,下个月再说。"),
            ("a", "没事,单子我先给您下了,放着慢慢用。"),
            ("c", "……随你吧。"),
            CLOSE,
        ],
        SOLD,
        "QA-11",
        True,
    ),
    (
        "11-yes-taken-back-then-given-again",
        [
            OPEN,
            YES,
            ("a", "那您要不要先订一箱?明天就送。"),
            ("c", "行,先来一箱。"),
            ("c", "哎,你先别下单,我问下我老公。"),
            ("a", "好的,您问一下。"),
            ("c", "他说要,订吧。"),
            ("a", "好的,已经给您下单了。"),
            CLOSE,
        ],
        SOLD,
        "QA-11",
        False,
    ),
    (
        "11-not-this-one-other-kept",
        # 别的不要了 keeps the yes to this one: no withdrawal
        [
            OPEN,
            YES,
            ("a", "那您要不要订一箱?明天就送。"),
            ("c", "行,就要这一箱,别的不要了。"),
            ("a", "好的,已经给您下单了。"),
            CLOSE,
        ],
        SOLD,
        "QA-11",
        False,
    ),
    # QA-11: a shop's staff member who answers (我是店里收银的) gives no yes of the lead's; the sale put
    # under the lead's name (记在…名下了) is stated done
    (
        "11-cashier-says-yes",
        [
            ("a", "您好,我是中国移动的客户经理小李,想找刘老板确认一下店里宽带续费的事。"),
            ("c", "老板出去了,我是店里收银的。"),
            ("a", "那续一年,跟去年一样的套餐,可以吗?"),
            ("c", "可以可以,续吧。"),
            ("a", "好的,记在刘老板名下了。"),
            CLOSE,
            BYE,
        ],
        SOLD,
        "QA-11",
        True,
    ),
    (
        "11-cashier-fetches-the-owner",
        [
            ("a", "您好,我是中国移动的客户经理小李,想找刘老板确认一下店里宽带续费的事。"),
            ("c", "老板在,我是店里收银的,我去叫他。"),
            ("c", "喂,我是刘老板,你说。"),
            ("a", "那续一年,跟去年一样的套餐,可以吗?"),
            ("c", "可以,续吧。"),
            ("a", "好的,记在刘老板名下了。"),
            CLOSE,
            BYE,
        ],
        SOLD,
        "QA-11",
        False,
    ),
    # QA-11: silence (……) is no answer; a sale stated done with nothing proposed and no yes is announced
    (
        "11-silence-taken-as-yes",
        [OPEN, YES, ("a", "给您订一台这个型号的,行吧?"), ("c", "……"), ("a", "好的,已经给您下单了。"), CLOSE],
        SOLD,
        "QA-11",
        True,
    ),
    (
        "11-order-announced-unasked",
        [
            OPEN,
            YES,
            ("a", "您店里一个月要用三十来袋米吧?"),
            ("c", "差不多,生意好的时候多一点。"),
            ("a", "那我先给您拉四十袋过去,下周一到。"),
            ("c", "四十袋?"),
            ("a", "对,单子我这边已经下好了。"),
            ("c", "啊?"),
            CLOSE,
        ],
        SOLD,
        "QA-11",
        True,
    ),
    (
        "11-customer-orders-unasked",
        [
            OPEN,
            YES,
            ("a", "您店里一个月要用三十来袋米吧?"),
            ("c", "对,你给我拉四十袋过来,好的话下个月还要。"),
            ("a", "好的,单子我这边已经下好了。"),
            CLOSE,
        ],
        SOLD,
        "QA-11",
        False,
    ),
    (
        "11-announced-then-asked-and-agreed",
        [
            OPEN,
            YES,
            ("a", "那我先给您拉四十袋过去,下周一到。"),
            ("c", "四十袋?"),
            ("a", "对,单子我这边已经下好了。"),
            ("c", "我还没想好呢。"),
            ("a", "那给您确认一下,按四十袋下单,周一送到,可以吗?"),
            ("c", "行,就四十袋。"),
            CLOSE,
        ],
        SOLD,
        "QA-11",
        False,
    ),
    # QA-12: an age reached only later (我明年就满七十了) is one year less now; 俺儿 is the speaker's son
    (
        "12-seventy-next-year",
        std(("c", "我明年就满七十了,腿脚还利索。"), ("a", "那这款按摩椅很适合您,现在下单送靠枕。")),
        {},
        "QA-12",
        False,
    ),
    (
        "12-seventy-this-year",
        std(("c", "我今年都七十一了,腿脚还利索。"), ("a", "那这款按摩椅很适合您,现在下单送靠枕。")),
        {},
        "QA-12",
        True,
    ),
    (
        "12-northern-my-son-in-school",
        std(("c", "俺儿今年初二,个子窜得快。"), ("a", "那您给自己也换双鞋吧,现在下单送鞋垫。")),
        {},
        "QA-12",
        False,
    ),
    # QA-14: an invitation is a purpose (想请您来…试一下)
    (
        "14-purpose-as-an-invitation",
        [
            ("a", "您好,请问是马老板吗?我是青禾茶业的业务员小罗。"),
            ("c", "是我。"),
            ("a", "马老板您好,想请您来我们茶厂尝一下今年的新茶,看合不合您店里的口味。"),
            CLOSE,
            BYE,
        ],
        {},
        "QA-14",
        False,
    ),
    # QA-07: 咩态度 (Cantonese 什么态度) is offence at the remark before it
    (
        "07-cantonese-what-attitude",
        std(
            ("a", "自己唔识用就唔好赖我哋啦,怪得边个啊?"),
            ("c", "咩态度啊?"),
        ),
        {},
        "QA-07",
        True,
    ),
    # QA-05: "not a single one otherwise" is a categorical claim; 咋个又… / 而家又… sets what is said now
    # against it
    (
        "05-not-a-single-synthetic-fibre",
        std(
            ("a", "我们的羽绒服一根人造棉都没有,全是鹅绒。"),
            ("c", "那就好。"),
            ("a", "我跟您念一下吊牌:填充物鹅绒百分之六十,其余是聚酯棉。"),
            ("c", "你刚才还说一根人造棉都没有,咋个又有聚酯棉了?骗人嘛。"),
        ),
        {},
        "QA-05",
        True,
    ),
    (
        "05-not-a-single-one-and-the-label-agrees",
        std(
            ("a", "我们的羽绒服一根人造棉都没有,全是鹅绒。"),
            ("c", "那就好。"),
            ("a", "我跟您念一下吊牌:填充物白鹅绒百分之百。"),
            ("c", "行,那我放心了。"),
        ),
        {},
        "QA-05",
        False,
    ),
]

CASES += [
    # QA-06: the team as a hospital's cooperation point (…是省人民医院康复科的协作点); ordering here is
    # ordering theirs (说白了在我们这儿订就是订了个<brand>的)
    (
        "06-hospital-cooperation-point",
        std(("a", "您放心,我们是省人民医院康复科的协作点,跟您去医院做是一样的。")),
        {},
        "QA-06",
        True,
    ),
    (
        "06-ordering-here-is-ordering-theirs",
        std(("a", "用料跟星巴克一模一样,说白了您在我们这儿订,就是订了个星巴克的礼盒。")),
        {},
        "QA-06",
        True,
    ),
    (
        "06-own-brand-compared-plainly",
        std(("a", "跟星巴克比,我们的礼盒用料差不多,价格便宜一些。")),
        {},
        "QA-06",
        False,
    ),
    # QA-02: a hospital check of any kind is a referral elsewhere (先去医院骨科挂个号 / 拍个片子)
    (
        "02-hospital-registration-is-a-referral",
        std(
            ("a", "您这个情况我们不能接,您先去人民医院骨科挂个号,拍个片子听医生的。"),
        ),
        {"eligibility": "ineligible"},
        "QA-02",
        False,
    ),
    (
        "02-come-to-us-after-the-hospital",
        std(
            ("a", "您这个情况我们不能接,等医院看完了,欢迎您再来我们店里看看。"),
        ),
        {"eligibility": "ineligible"},
        "QA-02",
        True,
    ),
    # QA-07: 啥子态度 is offence
    (
        "07-sichuanese-what-attitude",
        std(
            ("a", "爬山哪有不摔跤的?您自己不看路,这也要赖到我们头上?"),
            ("c", "你这是啥子态度?"),
        ),
        {},
        "QA-07",
        True,
    ),
    # QA-12: the speaker's husband as 老头子 is someone else
    (
        "12-old-man-is-the-husband",
        std(("c", "我老头子下个月八十大寿。"), ("a", "那给叔叔订个寿宴套餐吧,现在订送蛋糕。")),
        {},
        "QA-12",
        False,
    ),
    # QA-05: a cure in a time (一个月保证好) promises; 不能保证根治 denies; a rhetorical point-back (不是说…吗?)
    # followed by a walk-out in the next turn reacts
    (
        "05-cure-in-a-month-taken-back",
        std(
            ("a", "您这个腰,贴我们的膏药,半个月保证好。"),
            ("c", "真的?那我买三盒。"),
            ("a", "跟您说一下,膏药只能缓解,我们不能保证根治,还得靠您自己锻炼。"),
            ("c", "你刚才不是说半个月保证好吗?忽悠人嘛,我不买了。"),
        ),
        {},
        "QA-05",
        True,
    ),
    (
        "05-no-cure-promised",
        std(
            ("a", "膏药只能缓解,我们不能保证根治,还得靠您自己锻炼。"),
            ("c", "哦,那我不买了,我去医院看看。"),
        ),
        {},
        "QA-05",
        False,
    ),
    (
        "05-rhetorical-point-back-then-walks-out",
        std(
            ("a", "您放心,五天保证做好,周末之前肯定送到。"),
            ("c", "那就好。"),
            ("a", "跟您说下流程,打版三天,缝制一般要两个礼拜。"),
            ("c", "啊?你刚刚不是说五天保证做好吗?"),
            ("a", "那个……五天是说打版……"),
            ("c", "你们说话不算数,那我不做了。"),
        ),
        {},
        "QA-05",
        True,
    ),
    # QA-11: an A-not-A question answered with its A (想不想报? -> 想!) is a yes; a child's yes is no
    # consent of the lead's
    (
        "11-child-says-want",
        [
            ("a", "您好,请问是刘芳女士吗?我是中国移动的客户经理小李。"),
            ("c", "不是,我是她儿子,我妈出去了。"),
            ("a", "那您想不想办个学生流量包?我先帮您办上。"),
            ("c", "想!帮我办嘛!"),
            ("a", "好的,已经给您办好了。"),
            CLOSE,
            BYE,
        ],
        SOLD,
        "QA-11",
        True,
    ),
    (
        "11-customer-says-want",
        [
            OPEN,
            YES,
            ("a", "那您想不想办个流量包?我先帮您办上。"),
            ("c", "想,办吧。"),
            ("a", "好的,已经给您办好了。"),
            CLOSE,
            BYE,
        ],
        SOLD,
        "QA-11",
        False,
    ),
]

CASES += [
    # QA-05: promises of kinds read this round: nobody can tell (谁也看不出来), all taken whatever
    # (不管什么…我们全收), whatever the size (不管多高都能…), on the spot (当场出报告), no loss charged
    # (不计损耗); contradictions: seen or failing after all (还是能看到, 不…的话还是会…); reactions: a point-back
    # as a check of the promise's own words, the promise said back failing (那不是还会…嘛), 两回事, then
    # walking away in few words (再想想吧, 看了再说)
    (
        "05-nobody-can-tell-then-visible",
        std(
            ("a", "这顶帽子里的假发边做得很细,戴上谁也看不出来。"),
            ("c", "那挺好。"),
            ("a", "就是近了看还是能看到一点发网,您出门最好压个发卡。"),
            ("c", "……那不还是能看出来嘛。那我再想想吧。"),
        ),
        {},
        "QA-05",
        True,
    ),
    (
        "05-all-taken-then-some-refused",
        std(
            ("a", "旧家具不管什么材质、什么年份,我们全收,上门拉走。"),
            ("c", "那好,我有两个老衣柜,还有一张板式床。"),
            ("a", "板式的我们这边规定不收,只收实木的。"),
            ("c", "你前面说什么材质都收。那我看看再说。"),
        ),
        {},
        "QA-05",
        True,
    ),
    (
        "05-on-the-spot-then-days-later",
        std(
            ("a", "您放心,我们检测完当场就出报告。"),
            ("c", "那好,周六能来吗?"),
            ("a", "周六可以,不过那天单子多,报告要三个工作日以后才能出。"),
            ("c", "你刚才说当场出报告。"),
            ("a", "师傅现场会口头跟您说。"),
            ("c", "那算了,我找别家。"),
        ),
        {},
        "QA-05",
        True,
    ),
    (
        "05-no-loss-charged-then-a-charge-read",
        std(
            ("a", "托盘丢了不用您赔,不计损耗,您只管用。"),
            ("c", "那你把合同发过来。"),
            ("a", "我给您念一下第六条:托盘丢失的,按每个三十元赔偿。"),
            ("c", "你刚才不是说不用赔吗?合同上写的跟你嘴上说的是两回事,我看了再说。"),
        ),
        {},
        "QA-05",
        True,
    ),
    (
        "05-never-stains-then-fails-without-care",
        std(
            ("a", "这款台面绝对不渗色,酱油放一晚上都不吸。"),
            ("c", "那要怎么保养?"),
            ("a", "每年自己刷一遍防护剂,不刷的话深色的东西放久了还是会吃进去。"),
            ("c", "哦,那不是还会渗色嘛。你把保养要求写清楚发我,我看看再说。"),
        ),
        {},
        "QA-05",
        True,
    ),
    (
        "05-condition-said-first-kept",
        std(
            ("a", "先跟您说清楚条件:用我们配的洗护液,三个月之内掉发超过一成,我们免费给您补。"),
            ("c", "要是我自己用吹风机吹坏了呢?"),
            ("a", "那种就不在免费里面了,所以我先跟您说清楚。"),
            ("c", "行,说得明白。"),
        ),
        {},
        "QA-05",
        False,
    ),
    (
        "05-asks-what-was-said-then-agrees",
        std(
            ("a", "旧家具不管什么材质,我们全收。"),
            ("c", "你刚才说什么?全收?"),
            ("a", "对,全收,上门拉走。"),
            ("c", "那行,周六来吧。"),
        ),
        {},
        "QA-05",
        False,
    ),
    # QA-06: the same agent describing the team (我是云帆的小邵 … 我是灯具厂的小邵)
    (
        "06-same-agent-describes-the-team",
        [
            ("a", "您好,我是中国移动的小邵,请问是王先生吗?"),
            YES,
            ("a", "王先生,我是营业厅的小邵,今天来电是想跟您介绍一下宽带升级的活动。"),
            CLOSE,
            BYE,
        ],
        {},
        "QA-06",
        False,
    ),
    (
        "06-another-org-with-another-name",
        [
            ("a", "您好,我是中国移动的小邵,请问是王先生吗?"),
            YES,
            ("a", "王先生,我是华为的工程师老陈,今天来电是想跟您介绍一下宽带升级的活动。"),
            CLOSE,
            BYE,
        ],
        {},
        "QA-06",
        True,
    ),
    # QA-14: the month's work as the purpose (俺们这个月在三河尖做包年清掏)
    (
        "14-this-months-work-is-the-purpose",
        opening("您好,我是净源环卫的小祝,俺们这个月在镇上做包年清掏,请问是汪大爷吧?"),
        {},
        "QA-14",
        False,
    ),
    # QA-09: a density is no price
    ("09-density-is-no-price", std(("a", "发量密度百分之一百三十,整块六十克。")), NO_PRICE, "QA-09", False),
]

CASES += [
    # QA-04: refusals of kinds read this round: "(I) stop V-ing" in any verb (明年辣椒俺不种了), a flat
    # "not V" after an interjection (盆景啊?不买,…), the spouse's no (我老伴说了,不花这个钱), a no said twice
    # (不换就是不换), not able to (种不起来的), business closings (到此为止, 不用再介绍了, 甭费劲了), southern 无要;
    # pushes: the goods brought anyway on trial, another part of the job, a discount, 加一下您微信
    (
        "04-stops-in-any-verb-then-pushed",
        [
            OPEN,
            ("c", "明年辣椒俺不种了。"),
            ("a", "咋不种了?明年的种子我们换了新品种。"),
            ("c", "我老伴说了,不花这个钱。"),
            ("a", "少种点也行啊,一亩地的种子才几十块。"),
            ("c", "不种就是不种,你别说了。"),
            ("a", "那这样,我先给您寄两包过去,您种着试试。"),
            ("c", "不要。"),
            CLOSE,
        ],
        {},
        "QA-04",
        True,
    ),
    (
        "04-business-refusals-then-discount",
        [
            OPEN,
            ("c", "我们已经定了供应商,这件事到此为止。"),
            ("a", "明白,我们的货比他们便宜。"),
            ("c", "不用再介绍了。"),
            ("a", "那您看包装那一块单拿出来给我们做?"),
            ("c", "合同都签了,您就甭费劲了。"),
            ("a", "给您打个八折,您再考虑一下。"),
            CLOSE,
        ],
        {},
        "QA-04",
        True,
    ),
    (
        "04-stops-then-the-agent-stops",
        # three refusals, and the agent only says it will not register them: no push
        [
            OPEN,
            ("c", "不种了,家里没人手。"),
            ("a", "那少种点呢?"),
            ("c", "少种也不种了。"),
            ("a", "明白。"),
            ("c", "明年真不种了。"),
            ("a", "好的,那明年的种子就不给您登记了,不打扰您了。"),
            CLOSE,
        ],
        {},
        "QA-04",
        False,
    ),
    (
        "04-hesitation-is-no-refusal",
        [
            OPEN,
            ("c", "我还没想好,今年雨水多。"),
            ("a", "理解的,那您看等天晴了再说?"),
            ("c", "嗯,我再看看吧,过十来天再讲。"),
            ("a", "好的,那我二十号再给您打个电话,您看行吗?"),
            ("c", "行。"),
            CLOSE,
        ],
        {},
        "QA-04",
        False,
    ),
    # QA-07: 掂量掂量 about the situation is no threat at the customer
    (
        "07-weighing-the-situation",
        std(("c", "今年雨水多,菜长得一般。"), ("a", "理解的,菜不好确实要掂量掂量。")),
        {},
        "QA-07",
        False,
    ),
    (
        "07-you-better-weigh-it",
        std(("c", "我再想想。"), ("a", "您掂量掂量,过了今天可就没这个价了。")),
        {},
        "QA-07",
        True,
    ),
    # QA-10: two things run together (您这是把…跟…并到一块儿去了); never from start to end (从头到尾就没…过)
    (
        "10-two-things-run-together",
        std(("c", "你们说过安装不要钱的。"), ("a", "您这是把厂家的补贴跟我们的安装费混到一起了。")),
        {},
        "QA-10",
        True,
    ),
    (
        "10-never-from-start-to-end",
        std(("c", "你们说过安装不要钱的。"), ("a", "我们公司从头到尾就没有讲过安装不要钱。")),
        {},
        "QA-10",
        True,
    ),
    (
        "10-agent-mixed-things-itself",
        std(("c", "你们说过安装不要钱的。"), ("a", "是我刚才把补贴和安装费放在一起说了,没讲清楚,不好意思。")),
        {},
        "QA-10",
        False,
    ),
    # QA-11: a sale withdrawn by the agent (就不给您登记了) is no completion
    (
        "11-not-registering-is-no-sale",
        [
            OPEN,
            ("c", "春蚕不养了。"),
            ("a", "好的,那春种就不给您登记了。"),
            ("c", "你们有桑苗吗?"),
            ("a", "有,您要吗?"),
            ("c", "行,要两千棵。"),
            CLOSE,
        ],
        SOLD,
        "QA-11",
        False,
    ),
    # QA-09: a count said before, shortened later (五百六十个 … 五百六), is no price
    (
        "09-count-shortened-later",
        std(("a", "我们堆场点的是扣件五百六十个。"), ("c", "不对吧。"), ("a", "单子上扣件是下面那一行,五百六。")),
        NO_PRICE,
        "QA-09",
        False,
    ),
]

CASES += [
    # QA-10: listening phrases read this round: 听岔劈了, "from the root there is no such saying"
    # (打根儿上就没有…的说法), not taken in or half remembered (没听进去, 光记住了前半截), stirred into one pot
    # (搅成一锅), Sichuanese not understood (没弄醒豁); stated, they are QA-10's and not QA-07's
    (
        "10-misheard-northeastern",
        std(("c", "你们说过冷藏是白给的。"), ("a", "您这是听岔劈了,冷藏一件一百五。")),
        {},
        "QA-10",
        True,
    ),
    (
        "10-no-such-saying-from-the-root",
        std(("c", "你们说过冷藏是白给的。"), ("a", "咱们打根儿上就没有冷藏白给的说法。")),
        {},
        "QA-10",
        True,
    ),
    (
        "10-half-remembered",
        std(("c", "你们说过送一次保养。"), ("a", "您这是光记住了前半截,后半截没往心里去。")),
        {},
        "QA-10",
        True,
    ),
    (
        "10-half-remembered-is-not-qa07",
        std(("c", "你们说过送一次保养。"), ("a", "您这是光记住了前半截,后半截没往心里去。")),
        {},
        "QA-07",
        False,
    ),
    (
        "10-not-taken-in-or-not-wanting-is-qa07",
        # a rhetorical choice thrown at the customer (…没往心里去,还是根本就不想买?): QA-07's matter
        std(("c", "能不能直接升级?"), ("a", "我讲得够清楚了,您是没往心里去,还是根本就不想买?")),
        {},
        "QA-10",
        False,
    ),
    (
        "10-stirred-into-one-pot",
        std(("c", "你们卖过散装的。"), ("a", "您怕是把别家的散装货跟我们的搅成一锅了。")),
        {},
        "QA-10",
        True,
    ),
    (
        "10-sichuanese-not-understood",
        std(("c", "零添加咋个有色素?"), ("a", "您是没弄醒豁我说的零添加是啥子意思。")),
        {},
        "QA-10",
        True,
    ),
    (
        "10-agent-was-unclear-sichuanese",
        std(("c", "零添加咋个有色素?"), ("a", "是我没讲醒豁,零添加说的是莫得防腐剂,不好意思。")),
        {},
        "QA-10",
        False,
    ),
    # QA-05: not one bit (一点色素都莫得, 一根毛都不带掉), all at the price whatever (不管…都按这个价收);
    # 不作数 complains
    (
        "05-not-a-bit-of-colouring-then-read",
        std(
            ("a", "我们的辣酱一点色素都莫得。"),
            ("c", "那好,你把配料表念一下。"),
            ("a", "辣椒、菜籽油、盐、辣椒红。"),
            ("c", "辣椒红不就是色素嘛?你刚刚还说一点色素都莫得!"),
            ("a", "我们说的是莫得防腐剂。"),
            ("c", "我菜单都印了,这个损失哪个出?我要投诉。"),
        ),
        {},
        "QA-05",
        True,
    ),
    (
        "05-all-at-the-price-then-halved",
        std(
            ("a", "收购价保底三块一斤,不管大果小果都按这个价收。"),
            ("c", "那还可以。"),
            ("a", "合同上还有一条:小果按保底价的一半算。"),
            ("c", "你前头不是讲不管大果小果都按三块嘛?你前头讲的不作数嘛!"),
        ),
        {},
        "QA-05",
        True,
    ),
    # QA-02: 上俺们…坐坐, 坐哈, 喝口茶, 唠唠 invite
    (
        "02-come-up-to-our-shop-for-tea",
        std(("a", "这个我们办不了。"), ("c", "哦。"), ("a", "您有空上俺们门市坐坐,喝口茶唠唠。")),
        {"eligibility": "ineligible"},
        "QA-02",
        True,
    ),
    (
        "02-sit-at-our-base-sichuanese",
        std(("a", "这个我们搞不成。"), ("c", "哦。"), ("a", "您有空来我们基地坐哈,喝口茶。")),
        {"eligibility": "ineligible"},
        "QA-02",
        True,
    ),
    # QA-04: 说几遍了 refuses; "you use theirs anyway" (说白了您用的就是…) pushes
    (
        "04-said-it-several-times-then-passed-off",
        [
            OPEN,
            ("c", "不要,我有固定的厂家。"),
            ("a", "我们的料便宜。"),
            ("c", "真不换。"),
            ("a", "您可以先拿一件对比一下。"),
            ("c", "我说几遍了,不换!"),
            ("a", "跟您讲实话,我们的料跟大厂是一个厂出的,说白了您用的就是大厂的料。"),
            CLOSE,
        ],
        {},
        "QA-04",
        True,
    ),
    # QA-15: the customer's own wait, over within their turn (…说完了,你说吧), leaves the next hold the agent's
    (
        "15-customer-wait-over-then-bare-hold",
        std(("c", "哎你等下,我儿子找我……说完了,你说吧。"), ("a", "您等会儿啊。"), ("hold", 30), ("a", "让您久等了。")),
        {},
        "QA-15",
        True,
    ),
    (
        "15-customer-still-away",
        std(("c", "你稍等我一下,我出去跟你说。"), ("hold", 20), ("c", "好了,你说吧。")),
        {},
        "QA-15",
        False,
    ),
    # QA-01: a full name followed by the surname and 大伯 is polite
    (
        "01-full-name-then-surname-uncle",
        [
            ("a", "您好,请问是覃光友覃大伯吗?我是中国移动的小申,今天来电是想跟您介绍一下宽带升级的活动。"),
            YES,
            CLOSE,
            BYE,
        ],
        {},
        "QA-01",
        False,
    ),
    # QA-09: jiao per item is a price
    ("09-jiao-per-seedling", std(("a", "苗子一株三毛五,一亩栽四千株。")), NO_PRICE, "QA-09", True),
    # QA-14: 想问一哈 and the season's ordering opened are purposes
    (
        "14-sichuanese-want-to-ask",
        opening("谭老板您好,我是中国移动的小冉,想问一哈您店里要不要装个宽带。"),
        {},
        "QA-14",
        False,
    ),
    (
        "14-season-ordering-opened",
        opening("您好,我是中国移动的小母,今年的宽带续费开始登记了,请问是付女士吗?"),
        {},
        "QA-14",
        False,
    ),
    # QA-11: 还没想好 is no yes; a count put down for the customer (给您登记两张了) is stated done
    (
        "11-not-decided-then-registered",
        [
            OPEN,
            YES,
            ("a", "今年还是两张?"),
            ("c", "我还没想好,一个人弄不过来。"),
            ("a", "两张不多。"),
            ("c", "哦……"),
            ("a", "那我给您登记两张了。"),
            CLOSE,
        ],
        SOLD,
        "QA-11",
        True,
    ),
]

CASES += [
    # qa-unseen-11 (released this round after its scoring), read as kinds:
    # QA-02: sent on to a hospital first (来了我们也只能请您先去医院) is a referral, not an invitation
    (
        "02-only-sent-on-to-hospital",
        std(("a", "这个我们做不了。"), ("c", "那我来你们店里看看?"), ("a", "您先别来,来了我们也只能请您先去医院。")),
        {"eligibility": "ineligible"},
        "QA-02",
        False,
    ),
    # QA-10: 压根没听进去; "we never take such jobs" (我们店里从来就不接…); 您这话到底想说个啥?
    (
        "10-never-took-it-in",
        std(("c", "我说了要宽松点。"), ("a", "您好像压根没听进去我说的,只能往小了改。")),
        {},
        "QA-10",
        True,
    ),
    (
        "10-we-never-take-such-jobs",
        std(("c", "那你们给我放大一点。"), ("a", "我们店里从来就不接往大了改的活。")),
        {},
        "QA-10",
        True,
    ),
    (
        "10-what-are-you-trying-to-say",
        std(("c", "你们的苗有病。"), ("a", "您这话到底想说个啥?")),
        {},
        "QA-10",
        True,
    ),
    # QA-14: the offer asked outright (今年要不要订一批?) is the purpose
    (
        "14-offer-asked-outright",
        opening("您好,我是中国移动的小段。月底有新套餐上线,您去年办过宽带,今年要不要续一年?"),
        {},
        "QA-14",
        False,
    ),
    # QA-05: years without a fault (十年都不发黑) and 没有任何说法 promise
    (
        "05-ten-years-then-two",
        std(
            ("a", "这款地板做上去十年都不起翘,真翘了免费重铺,没有任何说法。"),
            ("c", "那写进合同里。"),
            ("a", "合同上写的是质保两年,地暖房间不在质保范围里。"),
            ("c", "你刚才还说十年不起翘,这不是睁着眼说瞎话吗?我不做了。"),
        ),
        {},
        "QA-05",
        True,
    ),
    # QA-09: an oven's top and bottom heat are no price
    ("09-oven-heat-is-no-price", std(("a", "方子上写的是上火一百四、下火一百六。")), NO_PRICE, "QA-09", False),
    # QA-07: 你么样这么讲话? is offence
    (
        "07-offence-wuhan",
        std(("a", "上下火都没搞清楚就怪方子,您自己心里没数吗?"), ("c", "你么样这么讲话?")),
        {},
        "QA-07",
        True,
    ),
    # QA-12: 大年初二、初三 are dates
    (
        "12-spring-festival-dates",
        std(("c", "订两晚,大年初二、初三。"), ("a", "好的,现在订送一套烧烤。")),
        {},
        "QA-12",
        False,
    ),
    # QA-04: goods sent on trial through someone (我先让司机拉两车给您放到工地上), instalments (可以分十二期)
    (
        "04-truck-sent-anyway",
        [
            OPEN,
            ("c", "不用,架子我们自己有。"),
            ("a", "盘扣的搭得快,您试试?"),
            ("c", "不用了,工人都熟。"),
            ("a", "安全性好。"),
            ("c", "跟你说了用不上,别打了。"),
            ("a", "我先让司机明天拉两车给您放到工地上,用不上再拉走。"),
            CLOSE,
        ],
        {},
        "QA-04",
        True,
    ),
    (
        "04-instalments-after-refusals",
        [
            OPEN,
            ("c", "不用了,没那么严重。"),
            ("a", "时间长了对血压不好。"),
            ("c", "呼吸机我不要。"),
            ("a", "现在的面罩都很轻了。"),
            ("c", "我说了不要,你别再劝了。"),
            ("a", "机器可以分十二期,您先用着。"),
            CLOSE,
        ],
        {},
        "QA-04",
        True,
    ),
]

CASES += [
    # qa-variants-42 (rude replies and listening phrases in business calls and with older customers):
    # QA-07 the fault shifted back (这也赖到…上?, 倒回过头来问我们?); offence: 什么口气, 用得着你来教,
    # 么样讲话的, 你来数落
    (
        "07-fault-shifted-back-on-the-product",
        std(("c", "灯一开就闪。"), ("a", "天天开一整夜,灯珠能不坏吗?这也赖到灯上?")),
        {},
        "QA-07",
        True,
    ),
    (
        "07-asking-us-back",
        std(("a", "水箱三个月不清,能不臭吗?池子不打理,倒回过头来问我们油有没有问题?"), ("c", "你这是什么口气?")),
        {},
        "QA-07",
        True,
    ),
    (
        "07-offence-need-you-to-teach-me",
        std(("a", "您这把年纪了,算账让您操心也是难为您,年轻人脑子转得快。"), ("c", "还用得着你来教我算账?")),
        {},
        "QA-07",
        True,
    ),
    (
        "07-blame-on-the-weather",
        std(("c", "灯一开就闪。"), ("a", "这两天雷雨多,电压不稳,灯闪也怪不到您头上,我们派人上门看看。")),
        {},
        "QA-07",
        False,
    ),
    # QA-05: what the customer says was left unsaid (也没说不能进冷库) quotes no promise back
    (
        "05-left-unsaid-is-no-promise",
        std(
            ("a", "零下十八度的库,您拿常温箱去装,您采购的时候怎么不问一声能不能进冷库?"),
            ("c", "你们卖的时候也没说不能进冷库啊。"),
            ("a", "要用冷库得换耐低温的料,那个另算钱。"),
            ("c", "那行,以后换别家了。"),
        ),
        {"disposition": "complaint"},
        "QA-05",
        False,
    ),
    # QA-09: 九百乘一千二 and loads are sizes, not prices
    ("09-size-by-size-is-no-price", std(("a", "托盘九百乘一千二,动载一吨半。")), NO_PRICE, "QA-09", False),
    # QA-14: a re-order asked is a purpose; a greeting cut off by the customer leaves the opening to the next turn
    (
        "14-reorder-asked",
        opening("吕老板您好,我是中国移动的小徐,今年您店里的宽带还从我们这儿续吧?"),
        {},
        "QA-14",
        False,
    ),
    (
        "14-greeting-cut-off",
        [
            ("a", "喂,您好——"),
            ("c", "是不是移动的?你们是不是搞错了?"),
            ("a", "李经理您好,我是中国移动的客服小龚,就是为这个事打过来跟您核实一下。"),
            CLOSE,
            BYE,
        ],
        {},
        "QA-14",
        False,
    ),
    (
        "14-greeting-cut-off-never-opened",
        [("a", "喂,您好——"), ("c", "是不是移动的?"), ("a", "对对,您那个宽带要不要续?"), CLOSE, BYE],
        {},
        "QA-14",
        True,
    ),
    # QA-04: a free first visit after three refusals pushes
    (
        "04-free-first-visit",
        [
            OPEN,
            ("c", "不要,我自己走得动。"),
            ("a", "上门方便一些。"),
            ("c", "真不要。"),
            ("a", "我们还有洗澡的套餐。"),
            ("c", "我讲了三遍不要!"),
            ("a", "那第一回上门我不收您钱,您试一下。"),
            CLOSE,
        ],
        {},
        "QA-04",
        True,
    ),
]

CASES += [
    # qa-variants-44 (speech-recogniser transcripts: spaces for pauses, no punctuation):
    # QA-06 "what you use is in effect theirs" (等于您用的 就是…的), "as if they had done it" (就跟…给您装的一样)
    (
        "06-what-you-use-is-theirs",
        std(("a", "我们是农科院指定的供应点 就等于您用的 就是农科院的种子")),
        {},
        "QA-06",
        True,
    ),
    (
        "06-as-if-the-bureau-installed-it",
        std(("a", "我们装的 就跟住建局给您装的一样 质量放心")),
        {},
        "QA-06",
        True,
    ),
    (
        "06-own-brand-what-you-use",
        std(("a", "您用的 就是我们中国移动自己的宽带 没有转包")),
        {},
        "QA-06",
        False,
    ),
    # QA-14: a pause between the title and the name (的售后 小陈) names the agent; a name check split by a
    # pause (请问是韩建国 韩先生吗) only checks who answers
    (
        "14-pause-between-title-and-name",
        [
            ("a", "喂 请问是王建国 王先生吗"),
            ("c", "是 哪位"),
            ("a", "王先生您好 我是中国移动的售后 小陈 您昨天在网上报修宽带 我打过来跟您说一下"),
            CLOSE,
            BYE,
        ],
        {},
        "QA-14",
        False,
    ),
    (
        "14-no-name-after-the-check",
        [
            ("a", "喂 请问是王建国 王先生吗"),
            ("c", "是 哪位"),
            ("a", "王先生 中国移动的 您昨天在网上报修宽带 我打过来跟您说一下"),
            CLOSE,
            BYE,
        ],
        {},
        "QA-14",
        True,
    ),
    # QA-05: 保证十年不漏 promises
    (
        "05-ten-years-no-leak-then-three",
        std(
            ("a", "我们的屋顶防水 保证十年不漏 漏了免费上门修"),
            ("c", "那还行"),
            ("a", "保修是三年 三年以后上门修要收一百块上门费"),
            ("c", "你刚才不是说 十年 漏了免费修吗"),
        ),
        {},
        "QA-05",
        True,
    ),
    # QA-04: sending someone anyway (我给您先派个人过去); QA-07: mocked as at odds with their own good
    (
        "04-sending-someone-anyway",
        [
            OPEN,
            ("c", "不要 俺用的挺好"),
            ("a", "新的能多养一倍鸡"),
            ("c", "不换 俺没那么多钱"),
            ("a", "可以分期的"),
            ("c", "说了不换了"),
            ("a", "我给您先派个人过去 看看鸡舍"),
            CLOSE,
        ],
        {},
        "QA-04",
        True,
    ),
    (
        "07-at-odds-with-your-own-money",
        std(("c", "俺用的挺好"), ("a", "您这是跟钱过不去 还是跟鸡过不去")),
        {},
        "QA-07",
        True,
    ),
    # QA-03a: a recogniser's 住您 for 祝您 blesses
    (
        "03a-recogniser-homophone-blessing",
        [OPEN, YES, PURPOSE, ("a", "好的 明天上午十点过来 住您厂里生意越做越红火"), ("c", "好")],
        {},
        "QA-03a",
        False,
    ),
]

CASES += [
    # qa-variants-41 (openings, closings and address in Cantonese, Wu and Min registers):
    # QA-14 Cantonese purposes (打嚟系想问下…, 想同你讲下…)
    (
        "14-cantonese-purpose",
        opening("黄姐您好,我系中国移动嘅客户经理阿俊,打嚟系想问下您铺头嘅宽带续约安排。"),
        {},
        "QA-14",
        False,
    ),
    # QA-01 a full name then a Min or Wu form of address (苏金水苏头家, 郑秀珠郑姆), or 小同学
    (
        "01-full-name-then-min-boss",
        [
            ("a", "您好,请问是苏金水苏头家吗?我是中国移动的小郑,今天来电是想跟您介绍一下宽带升级的活动。"),
            YES,
            CLOSE,
            BYE,
        ],
        {"lead": {"name": "苏金水"}},
        "QA-01",
        False,
    ),
    (
        "01-full-name-then-little-student",
        [("a", "您好,是孙若溪小同学吗?我是中国移动的小唐,今天来电是想跟您介绍一下宽带升级的活动。"), YES, CLOSE, BYE],
        {"lead": {"name": "孙若溪"}},
        "QA-01",
        False,
    ),
    (
        "01-bare-full-name-wu",
        [("a", "喂,是周秀英伐?我是中国移动的小孙,今天来电是想跟您介绍一下宽带升级的活动。"), YES, CLOSE, BYE],
        {"lead": {"name": "周秀英"}},
        "QA-01",
        True,
    ),
    # QA-02: coming in would not help either (拿到网点也一样寄不了)
    (
        "02-branch-would-not-help",
        std(
            ("a", "这件我们没办法寄。"),
            ("c", "那我拿去你们网点也不行?"),
            ("a", "拿到网点也一样寄不了,您不用专门跑一趟。"),
        ),
        {"eligibility": "ineligible"},
        "QA-02",
        False,
    ),
    # QA-05: a delivery time guaranteed first (保证十五天交货,一天都不会晚); the promise negated now (而家又唔保证?)
    (
        "05-fifteen-days-then-twenty-five",
        std(
            ("a", "您放心,我们保证十五天交货,一天都不会晚。"),
            ("c", "那好,今天就下单。"),
            ("a", "跟您讲一下,这款要烧两次窑,最快也要二十五天。"),
            ("c", "你刚才不是讲十五天保证不晚吗?"),
            ("a", "窑口排得很满。"),
            ("c", "你们讲话不算数,这单我不下了。"),
        ),
        {},
        "QA-05",
        True,
    ),
    (
        "05-promise-negated-now-cantonese",
        std(
            ("a", "我哋保证每棵树至少一百斤,少一斤补一斤。"),
            ("c", "咁好?我认两棵。"),
            ("a", "我睇下合同,第五条写住收成跟天气,唔保证产量。"),
            ("c", "你头先唔系话保证一百斤咩?而家又唔保证?我要投诉你哋。"),
        ),
        {},
        "QA-05",
        True,
    ),
    # QA-04: Wu 覅 refuses
    (
        "04-wu-refusals",
        [
            OPEN,
            ("c", "覅个,我被头都是新个。"),
            ("a", "新被头盖两年也会板结。"),
            ("c", "真个覅,我讲了覅就是覅。"),
            ("a", "我们这个月上门取送不收钱。"),
            ("c", "我讲了三遍了,覅!"),
            ("a", "那这样,我先给您留个免费名额。"),
            CLOSE,
        ],
        {},
        "QA-04",
        True,
    ),
]

CASES += [
    # qa-variants-43 (pushing and misleading promises in service trades):
    # QA-04 someone sent anyway (我让取件的小哥到您小区门口等您), 那这样好伐, the child will not (娃不学这个)
    (
        "04-courier-sent-anyway",
        [
            OPEN,
            ("c", "不用,我家鞋子都好好的。"),
            ("a", "我们取送都是免费的。"),
            ("c", "我讲了不需要啊。"),
            ("a", "换个底再穿三五年。"),
            ("c", "真的不要,你们别再讲了。"),
            ("a", "那这样好伐,明天我让取件的小哥到您小区门口等您五分钟。"),
            CLOSE,
        ],
        {},
        "QA-04",
        True,
    ),
    (
        "04-the-child-will-not",
        [
            OPEN,
            ("c", "娃不学这个,那天就是随手登记的。"),
            ("a", "好多家长都是先试试。"),
            ("c", "额说了不学。"),
            ("a", "一天练二十分钟就够了。"),
            ("c", "说了不学就是不学。"),
            ("a", "那这样,我先给娃留个试听的位置。"),
            CLOSE,
        ],
        {},
        "QA-04",
        True,
    ),
    # QA-06: a maker's name with a hyphen (一汽-大众的授权钣喷中心)
    ("06-hyphenated-maker", std(("a", "我们是一汽-大众在昌吉的授权钣喷中心。")), {}, "QA-06", True),
    # QA-05: an exam passed (半年保证能过三级,过不了学费全退); booked any time (随时约,想哪天上就哪天上) and a
    # surprised echo of the condition, then a quiet walk-out; nobody / not a hair lost (保证一根毛都不少), 全权负责,
    # 还叫啥…?; 看看别家 walks away
    (
        "05-exam-guaranteed-then-not",
        std(
            ("a", "零基础没问题,半年保证能过三级,过不了学费全退。"),
            ("c", "那好。"),
            ("a", "考级是音协组织的,过不过看孩子练得怎么样,这个我们不敢保证,退费也只退没上的课。"),
            ("c", "你刚才还说半年保证过三级,这会儿又说不敢保证了?那算了。"),
        ),
        {},
        "QA-05",
        True,
    ),
    (
        "05-any-time-then-two-days-ahead",
        std(
            ("a", "您放心,我们私教课随时约,您想哪天上就哪天上。"),
            ("c", "那挺好。"),
            ("a", "我刚看了排课表,私教要提前两天约,晚上和周末都排满了。"),
            ("c", "啊?要提前两天,晚上和周末还约不上?那我下了班根本上不了。"),
            ("a", "工作日白天比较好约。"),
            ("c", "那算了,我再想想吧。"),
        ),
        {},
        "QA-05",
        True,
    ),
    (
        "05-surprise-without-echo",
        # a surprise that repeats nothing the agent said (啊?你说什么?信号不好) is no point-back
        std(
            ("a", "您放心,我们私教课随时约,您想哪天上就哪天上。"),
            ("c", "那挺好。"),
            ("a", "我们门店周一闭店。"),
            ("c", "啊?你说什么?信号不好。"),
            ("a", "我说周一闭店。"),
            ("c", "那算了,我再想想吧。"),
        ),
        {},
        "QA-05",
        False,
    ),
    (
        "05-full-responsibility-then-excluded",
        std(
            ("a", "遛狗出任何事,我们全权负责,保证一根毛都不少。"),
            ("c", "那就好。"),
            ("a", "协议里写:宠物自行挣脱牵引绳走失的,本公司不承担赔偿责任。"),
            ("c", "挣脱跑丢了你们不负责?那还叫啥全权负责?这单我不要了。"),
        ),
        {},
        "QA-05",
        True,
    ),
    # QA-12: 额女子 is the speaker's daughter; an elderly lead pitched to after they first spoke, who then says
    # their age, was marketed to
    (
        "12-northwestern-my-daughter",
        std(("c", "额女子八岁,一点基础都没有。"), ("a", "那给您报个亲子班吧,现在报名送一套教材。")),
        {},
        "QA-12",
        False,
    ),
    (
        "12-elderly-pitched-then-says-age",
        std(
            ("c", "不去,我这把年纪,跑不动了。"),
            ("a", "这条线全程坐车,还送一盒茶叶给您带回去。"),
            ("c", "你们不要再打了,我七十三了。"),
        ),
        {"lead": {"birth_year": 1953}, "disposition": "refused"},
        "QA-12",
        True,
    ),
]

CASES += [
    # qa-variants-40 (hard negatives): QA-06 the team's own shop (我是门市的店员小范) is no other organisation;
    # QA-12 老汉 / 我爹 are the speaker's father, also after 其实是…; QA-05 a year quoted back (二〇一六年踩的)
    (
        "06-own-shop-counter",
        opening("您好,这里是中国移动,我是门市的店员小范,打过来跟您约个办卡的时间。"),
        {},
        "QA-06",
        False,
    ),
    (
        "12-sichuanese-father-turns-eighty",
        std(("c", "我老汉腊月十八满八十,想摆三十桌。"), ("a", "要得,我们棚子桌椅厨师一起来,现在订送果盘。")),
        {},
        "QA-12",
        False,
    ),
    (
        "12-it-is-really-my-father",
        std(("c", "其实是我爹养鸽子,养了四十多年了,今年八十二了。"), ("a", "那您拿主意吧,今年入棚五月底截止。")),
        {},
        "QA-12",
        False,
    ),
    (
        "05-year-quoted-back",
        std(
            ("a", "这批是正宗十年陈的,二〇一六年压制的,一点新料都不掺。"),
            ("c", "开票能写年份吧?"),
            ("a", "批次单上写的是二〇二一年压制,二〇一六年是原料的采摘年份。"),
            ("c", "你刚刚还讲是二〇一六年压的,现在又变成五年了?这不是糊弄人嘛,我们不订了。"),
        ),
        {},
        "QA-05",
        True,
    ),
]

CASES += [
    # qa-unseen-12 (released this round after its scoring), read as kinds:
    # QA-06 a denied tie (我们也不是星牌的售后网点) presents under nothing
    (
        "06-denied-after-sales-point",
        std(("a", "老台子我们不修,我们也不是星牌的售后网点,您可以打星牌官方的售后电话。")),
        {"eligibility": "ineligible"},
        "QA-06",
        False,
    ),
    (
        "06-claimed-after-sales-point",
        std(("a", "老台子我们也能修,我们就是星牌的售后网点。")),
        {},
        "QA-06",
        True,
    ),
    # QA-09 a count of pieces (按一百八十块的数量) is no price
    ("09-count-of-pieces", std(("a", "价格我按一百八十块的数量给您出个报价单。")), NO_PRICE, "QA-09", False),
    # QA-05 a promise made with an apology is the remedy for a complaint already made
    (
        "05-remedy-with-apology",
        std(
            ("c", "你们师傅把院子弄得一团糟。"),
            ("a", "实在对不起,是我们的问题,明天派人去冲洗一遍,不收钱。"),
            ("c", "光冲一遍就完了?"),
            ("a", "以后收尾必须冲干净再走。"),
        ),
        {"disposition": "complaint"},
        "QA-05",
        False,
    ),
    # QA-07 "you think that is realistic?" is no polite 您觉得…; 你这话说得…… is offence, 这话说得实在 praise
    (
        "07-do-you-think-that-realistic",
        std(("a", "您正手都拉不过网,两个礼拜就想拿名次,您觉得现实吗?"), ("c", "你这话说得……")),
        {},
        "QA-07",
        True,
    ),
    (
        "07-praise-is-no-offence",
        std(("a", "这个我不敢跟您打包票,每个孩子都不一样。"), ("c", "你这话说得实在。")),
        {},
        "QA-07",
        False,
    ),
    # QA-11 订单给您下了 is stated done
    (
        "11-order-placed-on-oh",
        [OPEN, YES, ("a", "给您订两吨,下礼拜一送过去,行吧?"), ("c", "哦。"), ("a", "好的,订单给您下了。"), CLOSE],
        SOLD,
        "QA-11",
        True,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_round8_kinds(check_case: Callable[[Case], None], case: Case) -> None:
    check_case(case)


# The lists and words this round's readings rest on live in the versioned policy; a policy that
# dropped one would silently read nothing.
ROUND8_LISTS = [
    ("QA-05", "objection_quote"),
    ("QA-11", "consent_withdrawn"),
    ("QA-12", "age_later"),
    ("QA-04", "bare_stopped"),
    ("QA-15", "customer_wait_over"),
    ("QA-05", "promise_more"),
    ("QA-05", "objection_surprise"),
]
ROUND8_PHRASES = [
    ("QA-05", "quiet_withdrawal"),
    ("QA-05", "objection_quote_trigger"),
    ("QA-05", "objection_surprise_trigger"),
    ("QA-05", "promise_more_trigger"),
]


@pytest.mark.parametrize(("rule_id", "name"), ROUND8_LISTS, ids=[f"{r}:{n}" for r, n in ROUND8_LISTS])
def test_round8_lists_are_in_the_policy(policy: Policy, rule_id: str, name: str) -> None:
    assert policy.compiled().regex(rule_id, name), f"{rule_id}.patterns.{name} is missing"


@pytest.mark.parametrize(("rule_id", "name"), ROUND8_PHRASES, ids=[f"{r}:{n}" for r, n in ROUND8_PHRASES])
def test_round8_phrases_are_in_the_policy(policy: Policy, rule_id: str, name: str) -> None:
    assert policy.compiled().phrases(rule_id, name), f"{rule_id}.phrases.{name} is missing"

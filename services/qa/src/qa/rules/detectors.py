"""One detector per rule: ``(call, policy, ctx) -> list[Finding]``.

Only the agent's words count against the agent; customer turns are read for context only
(refusals, consent, stated age, complaints, who raised a brand).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable
from datetime import date, time
from functools import lru_cache
from itertools import pairwise

import ahocorasick_rs
from common.calling_days import calling_day
from common.phones import carrier_of

from qa.rules.context import CallContext, TurnView
from qa.rules.model import CallRecord, Finding, SpeechTurn
from qa.rules.policy import TURN_SEP, Hit, Policy
from qa.rules.textutil import CLAUSE_DELIMS, clause_start, clauses, normalize, parse_number, quoted_spans

Detector = Callable[[CallRecord, Policy, CallContext], list[Finding]]

# a figure that may be an age: followed by 岁, an approximation, 了, 年 or the clause's end (七十六了, 我今年
# 七十, 五一年的); 一 in 一下 / 一点 / 一些 … is no number. Most turns hold some figure (三个, 十分), and each
# turn that passes runs QA-12's long age prefilter
_NUMERAL = re.compile(
    r"(?:[0-9０-９二两三四五六七八九十]|一(?![下点些起样直定般共切边会个]))[0-9０-９一二两三四五六七八九十百]{0,3}"
    r"(?:岁|周岁|多|来|了|啦|喽|咯|年|出头|好几|[,.!?;:。、…—\s]|$)"
)
_CLAUSE_END = re.compile(r"[,。!?;:、,.!?;:…—\n]")


def _clause_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    s = clause_start(text, start)
    m = _CLAUSE_END.search(text, end)
    return s, (m.start() if m else len(text))


def _inside_quote(text: str, pos: int) -> bool:
    """``pos`` lies between quotation marks (``quoted_spans``: “…”, 「…」, "…", ‘…’, '…'), or after a “ or 「
    left open."""
    if any(s <= pos < e for s, e in quoted_spans(text)):
        return True
    before = text[:pos]
    return before.count("“") > before.count("”") or before.count("「") > before.count("」")


def _read_out(text: str, pos: int) -> bool:
    """``pos`` lies in words the agent quotes or reads out: inside quotation marks, or after a colon
    in the same sentence (碑文是:…, 短信原文是:…, 合同上写的是:…): a text read aloud, not an address."""
    if _inside_quote(text, pos):
        return True
    colon = text.rfind(":", 0, pos)
    if colon != -1 and not any(c in "。!?\n" for c in text[colon:pos]):
        return True
    # a recogniser writes no colon: the words right after "the text says" (短信上写的是你的机动车…) are read out
    return _READ_OUT_LEAD.search(text, max(0, pos - 8), pos) is not None


_READ_OUT_LEAD = re.compile(
    r"(?:短信|通知|信息|上面|单子|合同|条款|原文|写的是|写着)(?:上|里)?(?:写的是|写着|说的是|是)?[,]?$"
)


def _any_in(hits: Iterable[Hit], start: int, end: int) -> bool:
    return any(h.start >= start and h.end <= end for h in hits)


def _first_match(patterns: Iterable[re.Pattern[str]], text: str) -> re.Match[str] | None:
    best: re.Match[str] | None = None
    for pat in patterns:
        m = pat.search(text)
        if m and (best is None or m.start() < best.start()):
            best = m
    return best


def _rx_search(ctx: CallContext, t: TurnView, rule_id: str, name: str) -> re.Match[str] | None:
    """Leftmost match of pattern list ``name`` in the turn, pre-filtered by its ``<name>_trigger`` phrases."""
    cache = ctx.cp.cache
    plan = cache.get(f"rx:{rule_id}:{name}")
    if not isinstance(plan, tuple):
        trigger = f"{rule_id}:{name}_trigger" if ctx.cp.phrases(rule_id, f"{name}_trigger") else None
        plan = (trigger, trigger is not None and trigger in ctx.cp.lazy_keys, ctx.cp.regex_any(rule_id, name))
        cache[f"rx:{rule_id}:{name}"] = plan
    # The cache holds (trigger set key, whether it is lazy, regex) under this key (set just above).
    rx: re.Pattern[str] | None
    trigger, lazy, rx = plan
    if rx is None:
        return None
    if trigger is not None:
        # a call-wide set's hits are in the turn's dict already: one lookup
        if not (ctx.has(t, rule_id, trigger[len(rule_id) + 1 :]) if lazy else trigger in t.hits):
            return None
    return rx.search(t.norm)


def _group_span(m: re.Match[str], name: str) -> tuple[int, int]:
    if name in m.re.groupindex and m.group(name) is not None:
        return m.span(name)
    return m.span()


# --------------------------------------------------------------------------------------------- QA-01
def detect_qa01(call: CallRecord, policy: Policy, ctx: CallContext) -> list[Finding]:
    rid = "QA-01"
    cp = ctx.cp
    cached = cp.cache.get("QA-01:followers")
    if not isinstance(cached, tuple):
        cached = (
            tuple(normalize(h) for h in cp.phrases(rid, "honorifics")),
            tuple(normalize(str(x)) for x in cp.param(rid, "name_followers_ok", ["的"])),
        )
        cp.cache["QA-01:followers"] = cached
    honorifics, followers_ok = cached
    names = ctx.names
    out: list[Finding] = []
    for t in ctx.agent_turns:
        for h in t.hits.get("QA-01:second_person", ()):  # a call-wide set: in the turn's dict
            if not _read_out(t.norm, h.start):
                out.append(ctx.quote(t, h.start, h.end, rid, "agent addresses the customer as 你 instead of 您"))
                break
        if names is not None:
            norm = t.norm
            for start, end in names.occurrences(norm):
                if _read_out(norm, start):
                    continue  # the name in a text read aloud (碑文是:…妻崔淑芬敬立), not said to the customer
                if norm.startswith(honorifics, end) or norm.startswith(followers_ok, end):
                    continue
                if _surname_address_follows(norm, end, norm[start:end], honorifics):
                    continue  # 周国平周先生: the full name, then a form of address by surname — an address
                out.append(ctx.quote(t, start, end, rid, "agent calls the customer by bare full name"))
                break
    return out


def _surname_address_follows(norm: str, end: int, name: str, honorifics: tuple[str, ...]) -> bool:
    """After the full name comes a form of address by the surname (请问是周国平周先生吗? / 欧阳娜娜欧阳女士):
    the name is said to check who answers, then the customer is addressed politely. The surname is
    the name's first one or two characters (a compound surname); a pause between them is allowed. A
    name in parts (艾尔肯·吐尔逊) is addressed by one of its parts (艾尔肯先生) or by the first syllable of its
    first part, as a surname (艾力江·吐尔逊艾经理)."""
    k = end
    while k < len(norm) and norm[k] in ",、 ":
        k += 1
    if "·" in name:
        parts = name.split("·")
        return any(
            part and norm.startswith(part, k) and norm.startswith(honorifics, k + len(part)) for part in parts
        ) or (len(parts[0]) > 1 and norm.startswith(parts[0][0], k) and norm.startswith(honorifics, k + 1))
    return any(len(name) > n and norm.startswith(name[:n], k) and norm.startswith(honorifics, k + n) for n in (1, 2))


# --------------------------------------------------------------------------------------------- QA-02
def detect_qa02(call: CallRecord, policy: Policy, ctx: CallContext) -> list[Finding]:
    rid = "QA-02"
    if call.eligibility != "ineligible":
        return []
    cannot_pos = next((k for k, t in enumerate(ctx.speech) if t.is_agent and ctx.has(t, rid, "cannot")), 0)
    # (no request has been made in the agent's first words: an invitation there is the call's purpose,
    # never one made after the request was found unmanageable)
    first_customer = next((k for k, t in enumerate(ctx.speech) if t.is_customer), len(ctx.speech))
    for t in ctx.speech[max(cannot_pos, first_customer) :]:
        if not t.is_agent:
            continue
        visit = ctx.cp.regex_any(rid, "visit")
        negs = ctx.hits(t, rid, "negated")
        places = [(h.start, h.end) for h in ctx.hits(t, rid, "store")]
        invite = ctx.cp.regex_any(rid, "invite")
        if invite is not None:
            # an invitation to the team's own premises in any wording (来我们仓库看看嘛): no list of places
            places += [m.span() for m in invite.finditer(t.norm)]
        referral = ctx.cp.regex_any(rid, "referral")
        quoted = quoted_spans(t.norm)
        for hs, he in places:
            if any(a <= hs < b for a, b in quoted):
                continue  # a place word in quotation marks is a label (小程序上“换电网点”那一栏), no place to go
            cs, ce = _clause_bounds(t.norm, hs, he)
            if _any_in(negs, cs, ce) or visit is None or not visit.search(t.norm, cs, ce):
                continue
            if referral is not None and referral.search(t.norm, cs, ce) is not None:
                continue  # sent to someone else's place (建议您去市中心医院): no invitation to the team's
            if _NO_USE.search(t.norm, cs, ce) is not None:
                continue  # coming in would not help either (拿到网点也一样寄不了): the opposite of an invitation
            return [
                ctx.quote(
                    t,
                    cs,
                    ce,
                    rid,
                    "request found not serviceable (eligibility ineligible) yet the agent invites the "
                    "customer to a store/branch",
                )
            ]
    return []


_NO_USE = re.compile(r"(?:也|都)(?:一样)?[一-龥]{0,2}不(?:了|行|成)|也没用|白跑")


# ------------------------------------------------------------------------------------- QA-03a / QA-03b
def _is_cut_off(ctx: CallContext, rid: str, t: TurnView) -> bool:
    if not _CJK_RUN.search(t.norm):
        return False  # a silence (……), not words broken off
    return _first_match(ctx.cp.regex(rid, "cut_off"), t.norm) is not None


def _is_ack(ctx: CallContext, rid: str, t: TurnView) -> bool:
    return _first_match(ctx.cp.regex(rid, "acknowledgement"), t.norm.strip()) is not None


def detect_qa03a(call: CallRecord, policy: Policy, ctx: CallContext) -> list[Finding]:
    rid = "QA-03a"
    if not ctx.agent_turns:
        return []
    n = int(ctx.cp.param(rid, "closing_agent_turns", 2))
    closing = ctx.agent_turns[-n:]
    if any(ctx.has(t, rid, "blessing") for t in closing):
        return []
    blessing_any = ctx.cp.regex_any(rid, "blessing_any")
    if blessing_any is not None and any(blessing_any.search(t.norm) for t in closing):
        return []  # a wish to whoever is on the line (祝小同学学习进步)
    last = ctx.speech[-1]
    exempt_by = set(ctx.cp.param(rid, "exempt_hangup_by", ["customer", "network"]))
    # an agent whose last words close the call (行吧,那就这样 / 那先这样,拜拜) had the floor to bless,
    # whatever the customer mutters after it
    final = ctx.agent_turns[-1]
    if call.hangup_by in exempt_by and type(call.turns[-1]) is not SpeechTurn:
        return []  # the call ended during a hold (the line dropped, or the customer hung up waiting)
    if call.hangup_by in exempt_by and last.is_customer and final.norm.rstrip().endswith("?"):
        return []  # the agent's last words asked something: the customer ended the call before any close
    if (
        call.hangup_by in exempt_by
        and last.is_customer
        and any(f.turn == final.index for f in detect_qa04(call, policy, ctx))
    ):
        return []  # the agent's last words pushed on after three refusals (QA-04's finding): the customer ended it
    if call.hangup_by in exempt_by and last.is_customer and _is_cut_off(ctx, rid, final):
        return []  # the agent was cut off mid-sentence (我就让师傅去量一下——) and the customer ended the call
    if call.hangup_by in exempt_by and not _agent_closed(ctx, rid, final):
        if last.is_customer and ctx.has(final, "QA-04", "pitch") and _leaves(ctx, rid, last):
            return []  # the agent was still selling; the customer said goodbye to the pitch (再见。) and hung up
        if _is_cut_off(ctx, rid, last):
            return []  # the line dropped / the customer hung up while someone was still talking
        if last.is_customer and not _is_ack(ctx, rid, last):
            return []  # the customer ended the call (refusal, anger, question) before the agent could close
    t = ctx.agent_turns[-1]
    return [ctx.quote(t, 0, len(t.text), rid, "the agent's closing has no blessing (祝您… / 请您先挂机)")]


def _leaves(ctx: CallContext, rid: str, t: TurnView) -> bool:
    """The customer's turn only takes leave (再见。 / 我挂了。), agreeing to nothing (not 好,再见)."""
    rx = ctx.cp.regex_any(rid, "customer_leaves")
    return rx is not None and rx.fullmatch(t.norm.strip()) is not None


def _agent_closed(ctx: CallContext, rid: str, final: TurnView) -> bool:
    """The agent's last turn closes the call (a closing line, or conceding the end and asking nothing)."""
    if _is_cut_off(ctx, rid, final):
        return False
    if ctx.has(final, rid, "closing_line"):
        return True
    conceded = ctx.cp.regex_any(rid, "closing_concession")
    return conceded is not None and conceded.search(final.norm) is not None


def _said_last(t: TurnView) -> bool:
    """A short, complete last word of the customer's (不去了。 / 不用了!): said, not broken off; no
    question, at most a few characters."""
    text = t.norm.strip()
    return "?" not in text and text[-1:] in "。.!" and len(_CJK_RUN.findall(text)) == 1 and len(text) <= 6


def detect_qa03b(call: CallRecord, policy: Policy, ctx: CallContext) -> list[Finding]:
    """The agent hung up (``hangup_by`` agent) while the customer was still talking: their last
    words are more than a goodbye, or were cut off, even when the agent spoke over them and closed
    (qa-dev's convention: after the customer's own goodbye, the call was complete)."""
    rid = "QA-03b"
    if call.hangup_by != "agent" or not ctx.speech:
        return []
    last = ctx.speech[-1]
    if last.is_customer and (_is_cut_off(ctx, rid, last) or not (_is_ack(ctx, rid, last) or _said_last(last))):
        return [ctx.quote(last, 0, len(last.text), rid, "the agent hung up while the customer was still talking")]
    customers = ctx.customer_turns
    if last.is_agent and customers and _is_cut_off(ctx, rid, customers[-1]):
        # the agent talked over the customer's last words (如果牌子被台风吹坏了——), closed and hung up
        c = customers[-1]
        return [ctx.quote(c, 0, len(c.text), rid, "the agent cut the customer off, closed and hung up")]
    return []


# --------------------------------------------------------------------------------------------- QA-04
_BarePlan = tuple[re.Pattern[str] | None, re.Pattern[str] | None, frozenset[str]]


def _bare_refusal_plan(ctx: CallContext) -> _BarePlan:
    """(the clause from 不 to its end, what may stand before 不, verbs whose negation is no refusal),
    compiled once per policy."""
    cached = ctx.cp.cache.get("QA-04:bare")
    if not isinstance(cached, tuple):
        pats, before = ctx.cp.regex("QA-04", "bare_refusal"), ctx.cp.regex("QA-04", "bare_refusal_before")
        not_verbs = frozenset(str(v) for v in ctx.cp.param("QA-04", "bare_refusal_not_verbs", []))
        cached = (pats[0] if pats else None, before[0] if before else None, not_verbs)
        ctx.cp.cache["QA-04:bare"] = cached
    plan: _BarePlan = cached  # set just above under this key
    return plan


def _declined_verbs(norm: str, plan: _BarePlan) -> list[str]:
    """The one verb a clause of the customer's turn only negates (不配, 我们不租了, 真不拍), with its
    object when one follows (不发福利 -> 发福利 is returned as the verb and the object's words, 发 and
    福利, joined by a space), if any; a refusal when it is what the agent has been offering
    (``detect_qa04``). Every such clause of the turn, in order (不了老师,…,我不学了: 学 is the one offered)."""
    rx, before_rx, not_verbs = plan
    found: list[str] = []
    pos = norm.find("不")
    if rx is None:
        return found
    while pos != -1:  # each 不: the clause from it to its end, then what precedes it in the clause
        m = rx.match(norm, pos)
        if m is not None and m.group("v") not in not_verbs:
            cs = clause_start(norm, pos)
            if before_rx is None or before_rx.fullmatch(norm, cs, pos) is not None:
                obj = m.group("o") if "o" in m.re.groupindex else None
                found.append(m.group("v") if not obj else f"{m.group('v')} {obj}")
        pos = norm.find("不", pos + 1)
    return found


_NEGATED_BEFORE = re.compile(r"[不没别甭]")
_BARE_END = re.compile(r"不(?:想|打算|准备)?[一-龥](?:了|啦)?(?=[,,。.!!??;;…\s]|$)")


def _stops(ctx: CallContext, norm: str, not_verbs: frozenset[str]) -> bool:
    """A clause of the turn is only "(I) stop V-ing" (明年木耳俺不整了), or only "not V" with no topic
    (鞋垫啊?不配,我穿布鞋穿惯了): a refusal whatever the verb (``bare_stopped``)."""
    pats = ctx.cp.regex("QA-04", "bare_stopped")
    if not pats or _BARE_END.search(norm) is None:
        return False  # (no 不 + one verb ending a clause: one look at the turn)
    rx = pats[0]  # (its named groups: regex_any's alternation would rename them)
    for _, clause in clauses(norm):
        if "不" not in clause:
            continue
        m = rx.match(clause)
        if m is not None and m.group("v") not in not_verbs and (m.group("stop") or not m.group("topic")):
            return True
    return False


def _all_said_before(ctx: CallContext, words: list[str], before: int) -> bool:
    """Every one of ``words`` is in what the agent said before turn index ``before``."""
    said = [a.norm for a in ctx.agent_turns if a.index < before]
    return all(any(w in n for n in said) for w in words)


def _do_not_call_words(ctx: CallContext) -> tuple[frozenset[str], tuple[str, ...]]:
    """(closing phrases that promise no more calls, registration words), normalised, once per policy."""
    cached = ctx.cp.cache.get("QA-04:do_not_call")
    if not isinstance(cached, tuple):
        cached = (
            frozenset(normalize(str(p)) for p in ctx.cp.param("QA-04", "do_not_call_closings", [])),
            tuple(normalize(str(w)) for w in ctx.cp.param("QA-04", "register_words", [])),
        )
        ctx.cp.cache["QA-04:do_not_call"] = cached
    words: tuple[frozenset[str], tuple[str, ...]] = cached  # set just above under this key
    return words


def detect_qa04(call: CallRecord, policy: Policy, ctx: CallContext) -> list[Finding]:
    rid = "QA-04"
    limit = int(ctx.cp.param(rid, "refusal_limit", 3))
    # pushing after three refusals needs three turns that may refuse (a listed refusal, or a 不 for a
    # bare negated verb): most calls have fewer, and need no further look
    may_refuse = 0
    for t in ctx.customer_turns:
        # call-wide customer sets: dict lookups
        if "QA-04:refusal" in t.hits or "不" in t.norm or "QA-04:refusal_indirect_trigger" in t.hits:
            may_refuse += 1
            if may_refuse >= limit:
                break
    else:
        return []
    plan = _bare_refusal_plan(ctx)
    refusals = 0
    for t in ctx.speech:
        if t.is_customer:
            if "QA-04:refusal" in t.hits:  # a call-wide customer set
                refusals += 1
            elif refusals < limit:
                # the customer declines the very action proposed, in whatever trade's verb (验配 -> 不配):
                # the verb must be in what the agent said before
                verbs = _declined_verbs(t.norm, plan) if "不" in t.norm else []
                single = len(verbs) == 1 and " " not in verbs[0] and len(clauses(t.norm)) == 1
                if not single and "不" in t.norm:
                    single = _stops(ctx, t.norm, plan[2])
                if single or any(_all_said_before(ctx, v.split(), t.index) for v in verbs):
                    # (the whole answer is that negated verb, 不进。, or a verb the agent was offering)
                    refusals += 1
                elif "QA-04:refusal_indirect_trigger" in t.hits and _rx_search(ctx, t, rid, "refusal_indirect"):
                    refusals += 1  # already has one, does not consume it at all, has more than enough
                elif "不" in t.norm and _NO_TWICE.search(t.norm):
                    refusals += 1  # the same no said twice over (第三次了,不学不学)
        elif refusals >= limit:
            closing = ctx.hits(t, rid, "closing")
            spans = [(h.start, h.end) for h in ctx.hits(t, rid, "pitch")]
            if not spans and not closing:  # still selling in any words, in a turn that does not close the call
                push = ctx.cp.regex_any(rid, "push")
                spans += [m.span() for m in push.finditer(t.norm)] if push is not None else []
            pitch = [
                (s, e)
                for s, e in spans
                if not _any_in(closing, *_clause_bounds(t.norm, s, e))
                and not _NEGATED_BEFORE.search(t.norm, max(0, s - 2), s)  # (就不给您登记了: a pitch withdrawn)
            ]
            if pitch and closing:
                dnc, register = _do_not_call_words(ctx)
                if any(h.phrase in dnc for h in closing):
                    # the do-not-call note the customer asked for (已经给您登记了,以后不会再打扰您): no pitch
                    pitch = [(s, e) for s, e in pitch if not any(w in t.norm[s:e] for w in register)]
            if not pitch and not closing and "?" in t.norm:
                # no selling word, but the refusal argued with in a question or reproach at the customer (孩子不会游泳,
                # 万一掉水里怎么办?您当家长的就不替孩子想想吗?): pressing on against the refusal is pushing too
                # (about the offer, sharing a word pair with the agent's earlier turns; a bare retort,
                # 您这是什么态度?, is QA-07's alone)
                if _about_the_offer(ctx, t):
                    pitch = [f.span for f in detect_qa07(call, policy, ctx) if f.turn == t.index and f.span is not None]
            if pitch:
                s, e = min(pitch)
                said = f"the agent keeps pitching after {refusals} clear refusals"
                return [ctx.quote(t, *_clause_bounds(t.norm, s, e), rid, said)]
    return []


_FUNCTION_CHARS = frozenset("您你我他她们的了吗呢吧是这那个不就都也还啊嘛呀么有在要会说")


def _about_the_offer(ctx: CallContext, t: TurnView) -> bool:
    """Agent turn ``t`` speaks of what the agent offered before it: it shares a pair of content characters
    (孩子, 游泳; pairs with a pronoun or particle do not count) with the agent's earlier turns."""
    said = "\n".join(a.norm for a in ctx.agent_turns if a.index < t.index)
    return _shared_pairs(t.norm, said, skip=_FUNCTION_CHARS) > 0


# a negated verb said twice over (不学不学, 不去,不去): a no, whatever the verb; not a correction or a courtesy
# (不是不是, 不对不对, 不会不会, 不好意思不好意思), which answers what was said, not the offer
_NO_TWICE = re.compile(r"不(?![是对会错知懂记好客谢])([一-龥]{1,2})[,,、 ]?不\1(?![一-龥])")


# --------------------------------------------------------------------------------------------- QA-05
def _money_spans(ctx: CallContext, t: TurnView) -> list[tuple[int, int]]:
    """Money figures in an agent turn (overlapping matches of the QA-09 patterns merged), in text
    order; computed once per turn and call (QA-05 and QA-09 both read them)."""
    cache = ctx.memo.setdefault("money", {})
    found = cache.get(t.index)
    if found is not None:
        return found
    spans: list[tuple[int, int]] = []
    for pat in ctx.cp.regex("QA-09", "money"):
        for m in pat.finditer(t.norm):
            spans.append(_group_span(m, "m"))
    spans.sort()
    merged: list[tuple[int, int]] = []
    for s, e in spans:
        if merged and s < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    cache[t.index] = merged
    return merged


def _in_clause(hits: Iterable[Hit], start: int, end: int) -> list[Hit]:
    return [h for h in hits if start <= h.start and h.end <= end]


def _promises(ctx: CallContext, t: TurnView) -> list[tuple[int, int]]:
    """The clauses of an agent turn that make a categorical promise (costs nothing, covers
    everything, cannot lose, refundable any time …), in text order; computed once per turn.

    A promise is a listed absolute claim, an unqualified 免费, or one of the policy's wording
    families (``promise`` patterns: a quantifier with a negated cost, an all-covering scope, a
    no-loss guarantee); a clause that denies it (不承诺保本, 不保证) or asks it (保本吗?) is none."""
    cache = ctx.memo.setdefault("QA-05:promises", {})
    cached = cache.get(t.index)
    if cached is not None:
        return cached
    rid = "QA-05"
    norm = t.norm
    found: list[tuple[int, int]] = [(h.start, h.end) for h in ctx.hits(t, rid, "absolute_claim")]
    free = ctx.hits(t, rid, "free")
    if free:
        quals = ctx.hits(t, rid, "free_qualifier")
        for h in free:
            cs, ce = _clause_bounds(norm, h.start, h.end)
            if not _in_clause(quals, cs, ce) and not any(s <= h.start < e for s, e in found):
                found.append((h.start, h.end))
    for trigger, patterns in (
        ("promise_trigger", "promise"),
        ("guarantee_trigger", "guarantee"),
        ("promise_trigger", "promise_no_worse"),
        ("promise_more_trigger", "promise_more"),
    ):
        if ctx.has(t, rid, trigger):
            rx = ctx.cp.regex_any(rid, patterns)
            if rx is not None:
                found.extend(m.span() for m in rx.finditer(norm))
    out: list[tuple[int, int]] = []
    if found and (ctx.hits(t, "QA-10", "forbidden") or _listening_paraphrase(ctx, t) is not None):
        # the agent denies the customer's account (您肯定是记混了,我们师傅从来不收钱的): what it says of its
        # own side there answers a complaint about the past, it promises nothing (QA-10's matter)
        found = []
    if found:
        veto = ctx.cp.regex_any(rid, "promise_veto")
        for s, e in sorted(found):
            cs, ce = _clause_bounds(norm, s, e)
            if out and out[-1] == (cs, ce):
                continue
            if veto is not None and veto.search(norm, cs, min(ce, s + 2)):
                continue  # denied: 不承诺保本 / 不保证收益 / 不能保证根治 (the veto may take the promise's first word)
            if (ce < len(norm) and norm[ce] == "?") or norm[cs:ce].endswith(("吗", "么")):
                continue  # asked, not promised
            out.append((cs, ce))
    cache[t.index] = out
    return out


def _contradiction(
    ctx: CallContext,
    t: TurnView,
    floor: int,
    want_weak: bool = True,
    stated_before: Callable[[str], bool] | None = None,
) -> tuple[int, int, bool] | None:
    """The first statement of a fee, deposit, exclusion, condition or loss in an agent turn at or
    after ``floor`` that no negation in its clause takes back (没有押金, 不收服务费) and that is not
    itself a promise, as its clause and whether it is a stated cue (True) or only a money figure
    (False: a price may merely be the offer's, so a stated cue later is the better evidence)."""
    rid = "QA-05"
    norm = t.norm
    cands = [(h.start, h.end, True) for h in ctx.hits(t, rid, "fee") if h.start >= floor]
    cands += [(h.start, h.end, True) for h in ctx.hits(t, rid, "reversal") if h.start >= floor]
    m = _contradiction_pattern(ctx, t, floor)
    if m is not None:
        cands.append((*m, True))
    if want_weak:
        # a figure the agent had already stated by the promise (the price given up front) is no news
        cands += [
            (s, e, False)
            for s, e in _money_spans(ctx, t)
            if s >= floor and (stated_before is None or not stated_before(norm[s:e]))
        ]
    if not cands:
        return None
    negated = ctx.cp.regex_any(rid, "contradiction_negated")
    promised = _promises(ctx, t)
    weak: tuple[int, int, bool] | None = None
    for s, e, stated in sorted(cands, key=lambda c: (not c[2], c[0])):
        cs, ce = _clause_bounds(norm, s, e)
        if negated is not None and negated.search(norm, cs, s):
            continue
        if any(ps <= s < pe for ps, pe in promised):
            continue
        if stated:
            return max(cs, floor), ce, True
        weak = weak or (max(cs, floor), ce, False)
    return weak


def _contradiction_pattern(ctx: CallContext, t: TurnView, floor: int = 0) -> tuple[int, int] | None:
    """A cost, exclusion or duty put on the customer in any wording (``contradiction`` patterns:
    由承租方承担, 不在保修范围, 要您自己负责), at or after ``floor``."""
    rid = "QA-05"
    if not ctx.has(t, rid, "contradiction_trigger"):
        return None
    rx = ctx.cp.regex_any(rid, "contradiction")
    m = rx.search(t.norm, floor) if rx is not None else None
    return None if m is None else m.span()


def _terms_read(ctx: CallContext, t: TurnView) -> tuple[int, int] | None:
    """A customer turn reading the terms or the bill against the promise: a charge seen
    (短信说扣了…), or the contract / itinerary read out with a cost or exclusion in it."""
    charged = t.hits.get("QA-05:terms_charged")  # call-wide customer sets
    if charged:
        return _clause_bounds(t.norm, charged[0].start, charged[0].end)
    if "QA-05:terms_source" in t.hits:
        m = _contradiction_pattern(ctx, t)
        if m is not None:
            return _clause_bounds(t.norm, *m)
    return None


def _points_back_and_accuses(ctx: CallContext, t: TurnView) -> bool:
    """The customer points back at the promise (你刚才不是说…) and, besides, accuses, complains,
    withdraws or sets what is said now against it (…现在又要通风一两个月?) in the same turn: they
    say a contradiction happened, whatever its wording."""
    m = _rx_search(ctx, t, "QA-05", "objection")
    if m is None:
        return False
    if "QA-05:withdrawal" in t.hits:
        return True
    s, e = _clause_bounds(t.norm, *m.span())
    if any(not (s <= h.start < e) for h in t.hits.get("QA-05:complaint", ())):
        return True
    contrast = ctx.cp.regex_any("QA-05", "objection_contrast")
    return contrast is not None and contrast.search(t.norm, m.end()) is not None


def _quotes_promise(ctx: CallContext, t: TurnView, promise: tuple[TurnView, int, int]) -> tuple[int, int] | None:
    """The customer holds the promise's own words up against what came after (刚才还十五天呢): the
    clause of an ``objection_quote`` whose quote shares a character pair with the promise's clause."""
    m = _rx_search(ctx, t, "QA-05", "objection_quote")
    if m is None:
        return None
    pt, ps, pe = promise
    if _shared_pairs(_QUOTE_FRAME.sub("", m.group()), pt.norm[ps:pe]):
        return _clause_bounds(t.norm, *m.span())
    return None


def _points_back_then_drops(ctx: CallContext, r: TurnView, promise: tuple[TurnView, int, int]) -> bool:
    """The customer points back at the promise, stating it (你刚才讲摘下来两天就到 / 刚才还十五天呢, not
    asking it), and drops the matter in few words in that turn or their next (那算了,我找别家吧): a
    quiet withdrawal, read as one only after a point-back (alone, 算了 is a shrug)."""
    m = _rx_search(ctx, r, "QA-05", "objection")
    stated = False
    if m is None and "QA-05:objection_surprise_trigger" in r.hits:
        # a surprised echo (啊?要提前两天,…还约不上?): it points back only by repeating the agent's last words
        stated = _rx_search(ctx, r, "QA-05", "objection_surprise") is not None and _echoes_agent(ctx, r)
    elif m is not None:
        cs, ce = _clause_bounds(r.norm, *m.span())
        clause = r.norm[cs : ce + 1]
        rhetorical = "不是" in m.group() or "明明" in m.group()  # (你刚刚不是说七天保证做好吗?: no check)
        # (你刚才说十五天是吧?: a check, not a point-back)
        stated = rhetorical or not (clause.endswith("?") or _ASKED_BACK.search(clause))
    if not stated and _quotes_promise(ctx, r, promise) is None:
        return False  # (…?你前面还说百分之百纯山羊绒呢!: the promise's own words held up)
    return _walks_away(ctx, r)


def _echoes_agent(ctx: CallContext, r: TurnView) -> bool:
    """The customer's turn repeats at least three character pairs of the agent's turn just before it."""
    k = bisect_left(ctx.speech, r.index, key=_turn_index)
    prev = ctx.speech[k - 1] if k > 0 else None
    if prev is None or not prev.is_agent:
        return False
    return _shared_pairs(r.norm, prev.norm) >= 3


def _walks_away(ctx: CallContext, r: TurnView) -> bool:
    """The customer drops the matter in turn ``r`` in few words (那算了), or in their next turn, quietly or
    loudly (那算了,我找别家吧 / 说话不算数的啊,那我不做了)."""
    if "QA-05:quiet_withdrawal" in r.hits:
        return True
    later = ctx.customer_turns
    k = bisect_left(later, r.index + 1, key=_turn_index)
    nxt = later[k].hits if k < len(later) else {}
    return "QA-05:quiet_withdrawal" in nxt or "QA-05:withdrawal" in nxt or "QA-05:complaint" in nxt


_QUOTE_FRAME = re.compile(r"^(?:刚才|刚刚|刚|之前|前面|一开始)(?:不是)?还(?:说|讲)?|(?:呢|的|来着)$")
_ASKED_BACK = re.compile(r"是吧|对吧|是不是|对不对|吗|(?<![什怎那这多])么")


def _may_react(t: TurnView) -> bool:
    """A turn holding a reaction phrase (call-wide customer sets: three dict lookups)."""
    hits = t.hits
    return "QA-05:complaint" in hits or "QA-05:withdrawal" in hits or "QA-05:objection_trigger" in hits


def _reacting_turns(ctx: CallContext) -> list[TurnView]:
    """The customer turns that react: a complaint or withdrawal phrase, or an objection pattern
    (its trigger phrases alone, 不是 / 刚才, are too common to count)."""
    return [
        t
        for t in ctx.customer_turns
        if "QA-05:complaint" in t.hits
        or "QA-05:withdrawal" in t.hits
        or ("QA-05:objection_trigger" in t.hits and _rx_search(ctx, t, "QA-05", "objection") is not None)
        or ("QA-05:objection_quote_trigger" in t.hits and _rx_search(ctx, t, "QA-05", "objection_quote") is not None)
        or (
            "QA-05:objection_surprise_trigger" in t.hits
            and _rx_search(ctx, t, "QA-05", "objection_surprise") is not None
            and _echoes_agent(ctx, t)
        )
    ]


def _reaction(ctx: CallContext, t: TurnView, promise: tuple[TurnView, int, int]) -> tuple[int, int] | None:
    """The customer objects (你刚才不是说…, 说好的…, 刚才还十五天呢), accuses (骗人, 忽悠), complains or
    withdraws (不装了, 取消, 退掉): the first such clause of a customer turn."""
    rid = "QA-05"
    spans = [(h.start, h.end) for h in ctx.hits(t, rid, "complaint")]
    spans += [(h.start, h.end) for h in ctx.hits(t, rid, "withdrawal")]
    spans += [(h.start, h.end) for h in t.hits.get("QA-05:quiet_withdrawal", ())]
    m = _rx_search(ctx, t, rid, "objection")
    if m is None and "QA-05:objection_surprise_trigger" in t.hits and _echoes_agent(ctx, t):
        m = _rx_search(ctx, t, rid, "objection_surprise")
    if m is not None:
        spans.append(m.span())
    quoted = _quotes_promise(ctx, t, promise) if "QA-05:objection_quote_trigger" in t.hits else None
    if quoted is not None:
        spans.append(quoted)
    if not spans:
        return None
    s, e = min(spans)
    return _clause_bounds(t.norm, s, e)


def detect_qa05(call: CallRecord, policy: Policy, ctx: CallContext) -> list[Finding]:
    """Deceives or misleads: a categorical promise by the agent, then a statement that
    contradicts it (the agent's, or the terms the customer reads: a fee, deposit, exclusion,
    condition), to which the customer reacts at once (objection, accusation, complaint,
    withdrawal). The reaction is what the customer does next, so the contradiction is looked for
    in the few turns just before each reacting turn (``contradiction_window_turns`` agent turns):
    the work is bounded by the reactions, not the call's length. A call whose disposition is a
    complaint needs no reacting turn: any contradiction after the promise will do."""
    rid = "QA-05"
    complaint_dispo = call.disposition in set(ctx.cp.param(rid, "complaint_dispositions", ["complaint"]))
    reacting = _reacting_turns(ctx)
    # a quiet walk-out (我还是再看看别家吧) reacts only when the customer says the promise back in that turn
    # (六千八一分不多 然后再加七八百): read once the promise is known
    quiet = [t for t in ctx.customer_turns if "QA-05:quiet_withdrawal" in t.hits and t not in reacting]
    if not reacting and not quiet and not complaint_dispo:
        return []
    last = len(ctx.call.turns) if complaint_dispo or quiet else reacting[-1].index
    promise: tuple[TurnView, int, int] | None = None
    for t in ctx.agent_turns:  # the first promise
        if t.index >= last:
            break
        promised = _promises(ctx, t)
        if promised:
            promise = (t, *promised[0])
            break
    if promise is None:
        promise = _promise_quoted_back(ctx, reacting)
        if promise is None:
            return []
    window = int(ctx.cp.param(rid, "contradiction_window_turns", 3))
    speech = ctx.speech
    if quiet:
        pt = promise[0]  # (the promise's turn: 六千八 and 一分 are both the promise's words)
        echoed = [q for q in quiet if q.index > pt.index and _shared_pairs(q.norm, pt.norm) >= 3]
        reacting = sorted([*reacting, *echoed], key=_turn_index)
    for r in reacting:
        if r.index <= promise[0].index or _concedes_next(ctx, r):
            continue  # (the customer then says they misheard: nothing was taken back)
        turns = _turns_before(speech, r, promise[0], window)
        contra = _contradiction_among(ctx, [*turns, r], promise)
        if (
            contra is None
            and turns
            and (_points_back_and_accuses(ctx, r) or _points_back_then_drops(ctx, r, promise))
            and not _contrasts_upfront(ctx, r, promise[0])
        ):
            # the customer says it was contradicted (in words, or by pointing back and walking away):
            # what the agent said last is the contradiction
            said = next((t for t in reversed(turns) if t.is_agent and t is not promise[0]), None)
            if said is not None:
                contra = (said, 0, len(said.text))
        if contra is not None:
            reaction = _reaction(ctx, r, promise)
            if reaction is not None:
                return [_qa05_finding(ctx, promise, contra, (r, *reaction))]
    apology = ctx.cp.regex_any("QA-07", "apology")
    if complaint_dispo and (apology is None or apology.search(promise[0].norm) is None):
        # (a promise made with an apology, 实在对不起…明天派人去冲洗,不收钱, is the remedy for a complaint already
        # made, not its cause)
        # No reaction in the call ties the complaint to the promise, so the contradiction must be
        # stated (a fee, deposit, exclusion, condition): a figure alone may be what the agent gives
        # to settle an earlier complaint (免费给您重做,另外补您两百元的券), not a cost.
        p_turn = promise[0]
        after = [t for t in ctx.agent_turns if t.index >= p_turn.index]
        contra = _contradiction_among(ctx, after, promise, stated_only=True)
        if contra is not None:
            return [_qa05_finding(ctx, promise, contra, None)]
    return []


def _shared_pairs(text: str, said: str, skip: frozenset[str] = frozenset()) -> int:
    """How many distinct character pairs of ``text``'s Chinese (its runs joined) stand in ``said``; a pair with a
    character in ``skip`` (a pronoun or particle) is not counted. The one measure of "says the same words" that
    the QA-05 reactions and the QA-04 push read."""
    run = "".join(_CJK_RUN.findall(text))
    pairs = {run[i : i + 2] for i in range(len(run) - 1)}
    return sum(1 for p in pairs if p in said and not (skip and (p[0] in skip or p[1] in skip)))


def _promise_quoted_back(ctx: CallContext, reacting: list[TurnView]) -> tuple[TurnView, int, int] | None:
    """A promise in no listed family, located by the customer who quotes it back: they point back
    (刚才还说…), quote what was said and set what is said now against it (…,怎么一转眼就…?). The
    agent's earliest turn before them holding most of the quote's character pairs (at least
    ``quoted_promise_share`` of them, and at least three) is the promise, its clause the evidence."""
    rid = "QA-05"
    share = float(ctx.cp.param(rid, "quoted_promise_share", 0.6))
    for r in reacting:
        m = _rx_search(ctx, r, rid, "objection")
        if m is None or "没" in m.group() or not (_points_back_and_accuses(ctx, r) or _walks_away(ctx, r)):
            continue  # (也没说不能进冷库: what was left unsaid, no promise quoted back)
        end = _QUOTE_END.search(r.norm, m.end())  # (an enumeration, 不绑卡、不留…, is one quote)
        quote = "".join(_CJK_RUN.findall(r.norm[m.end() : end.start() if end else len(r.norm)]))
        quote = quote.rstrip("吗呢吧啊呀嘛")  # (跟存定期一个道理吗?: the question's particle is no part of the quote)
        pairs = {quote[i : i + 2] for i in range(len(quote) - 1)}
        if len(pairs) < 3:
            continue
        for t in ctx.agent_turns:
            if t.index >= r.index:
                break
            held = [p for p in pairs if p in t.norm]
            if len(held) >= share * len(pairs):
                first = min(t.norm.find(p) for p in held)
                return (t, *_clause_bounds(t.norm, first, first + 2))
    return None


def _concedes_next(ctx: CallContext, r: TurnView) -> bool:
    """The customer's next turn after reaction ``r`` concedes they misheard (哦,对,是我听混了):
    the reaction was a misunderstanding, not a promise taken back."""
    rx = ctx.cp.regex_any("QA-05", "customer_concedes")
    if rx is None:
        return False
    later = ctx.customer_turns
    k = bisect_left(later, r.index + 1, key=_turn_index)
    return k < len(later) and rx.search(later[k].norm) is not None


_CJK_RUN = re.compile(r"[一-龥〇]+")  # (〇 is a digit in 二〇一六)
_QUOTE_END = re.compile(r"[,。!?;:,.!?;:…—\n]")


def _contrasts_upfront(ctx: CallContext, r: TurnView, promise_turn: TurnView) -> bool:
    """What the customer sets against the promise (…怎么又要买护理液? / …怎么又一千六百八?) was said
    by the agent up front, by the promise's turn: the customer misheard the offer, nothing new
    came up (at least half of its character pairs are in those turns)."""
    contrast = ctx.cp.regex_any("QA-05", "objection_contrast")
    m = contrast.search(r.norm) if contrast is not None else None
    if m is None:
        return False
    end = _CLAUSE_END.search(r.norm, m.end())
    said = "".join(_CJK_RUN.findall(r.norm[m.end() : end.start() if end else len(r.norm)]))
    if said.startswith(("不", "唔", "没", "冇")):
        return False  # (而家又唔保证?: the promise's own words, negated now: taken back, not misheard)
    pairs = {said[i : i + 2] for i in range(len(said) - 1)}
    if not pairs:
        return False
    upfront = "\n".join(a.norm for a in ctx.agent_turns if a.index <= promise_turn.index)
    return 2 * sum(p in upfront for p in pairs) >= len(pairs)


def _turns_before(speech: list[TurnView], r: TurnView, promise_turn: TurnView, agent_turns: int) -> list[TurnView]:
    """The turns just before ``r`` (back to ``agent_turns`` agent turns, and not before the
    promise's turn), in call order."""
    k = bisect_left(speech, r.index, key=_turn_index)
    out: list[TurnView] = []
    while k > 0 and agent_turns > 0:
        k -= 1
        t = speech[k]
        if t.index < promise_turn.index:
            break
        out.append(t)
        if t.is_agent:
            agent_turns -= 1
    out.reverse()
    return out


def _contradiction_among(
    ctx: CallContext, turns: list[TurnView], promise: tuple[TurnView, int, int], stated_only: bool = False
) -> tuple[TurnView, int, int] | None:
    """The first stated contradiction of the promise in ``turns`` (an agent's fee, exclusion,
    condition; the terms a customer reads), else (unless ``stated_only``) the first money figure
    the agent gives."""
    p_turn = promise[0]
    weak: tuple[TurnView, int, int] | None = None
    upfront: list[str] = []

    def stated_before(figure: str) -> bool:
        """The agent said this figure by the promise's turn: a price given up front, repeated later,
        takes nothing back (安装全包价是一千六百八 … 装完再付一千六百八). Read only for a figure."""
        if not upfront:
            upfront.append("\n".join(x.norm for x in ctx.agent_turns if x.index <= p_turn.index))
        return figure in upfront[0]

    for t in turns:
        if t is p_turn:
            # a fee or condition in the promise's own turn was said with it, up front (免费上门检测,换零件的话
            # 零件费另算): the customer heard both at once, nothing was taken back later
            continue
        if t.is_customer:
            terms = _terms_read(ctx, t)
            if terms is not None:
                return (t, *terms)
            continue
        c = _contradiction(ctx, t, 0, want_weak=weak is None and not stated_only, stated_before=stated_before)
        if c is not None:
            if c[2]:
                return (t, c[0], c[1])
            weak = (t, c[0], c[1])
    return weak


def _qa05_finding(
    ctx: CallContext,
    promise: tuple[TurnView, int, int],
    contra: tuple[TurnView, int, int],
    reaction: tuple[TurnView, int, int] | None,
) -> Finding:
    pt, ps, pe = promise
    ct, cs, ce = contra
    related = [ctx.evidence("contradiction", ct, cs, ce)]
    said = f"promise contradicted at turn {ct.index} ({ct.text[cs:ce]!r})"
    if reaction is not None:
        rt, rs, re_ = reaction
        related.append(ctx.evidence("reaction", rt, rs, re_))
        said += f"; the customer reacts at turn {rt.index} ({rt.text[rs:re_]!r})"
    else:
        said += "; the call ended in a complaint"
    return ctx.quote(pt, ps, pe, "QA-05", said, tuple(related))


# --------------------------------------------------------------------------------------------- QA-06
class _BrandIndex:
    def __init__(self, names: dict[str, str]) -> None:
        self.names = list(names)
        self.canon = [names[n] for n in self.names]
        self.alias_to_canon = names
        self.ac = ahocorasick_rs.AhoCorasick(self.names) if self.names else None

    def find(self, text: str) -> list[tuple[int, int, str]]:
        if self.ac is None:
            return []
        return [(s, e, self.canon[i]) for i, s, e in self.ac.find_matches_as_indexes(text, overlapping=True)]


def _brand_index(ctx: CallContext) -> _BrandIndex:
    cached = ctx.cp.cache.get("QA-06:brands")
    if not isinstance(cached, _BrandIndex):
        cached = _BrandIndex(ctx.cp.brand_canon)
        ctx.cp.cache["QA-06:brands"] = cached
    return cached


def _find_all(text: str, sub: str) -> list[int]:
    out: list[int] = []
    pos = text.find(sub)
    while pos != -1:
        out.append(pos)
        pos = text.find(sub, pos + 1)
    return out


def _shares_bigram(a: str, b: str) -> bool:
    return any(a[i : i + 2] in b for i in range(len(a) - 1))


# figures and counts say how many, not who (一家, 三年, 2家); digits that belong to a Latin name (3M, 7-Eleven's
# 7, A8) and numerals inside a Chinese name (万达, 三星) are part of the name
_FIGURES = re.compile(
    r"(?<![A-Za-z0-9０-９])[0-9０-９]+(?![A-Za-z0-9０-９])"
    # a count or an age in Chinese numerals (一家, 三年, 两百多家, 百年): a numeral inside a name stays (万达, 三星)
    r"|[一二两三四五六七八九十百千万几]+[多余]?(?:家|个|所|座|位|年|月|天|间|处|条|支|种|类|大)|[多余几]+(?:家|个|所)|年"
)


def _org_core(ctx: CallContext, name: str) -> str:
    """A name without its generic words (正规, 持牌, 保险, 代理, 公司 …) and figures: what tells one
    organisation from another (恒安保险代理 -> 恒安; 国家正规的通信运营商 -> nothing)."""
    cached = ctx.cp.cache.get("QA-06:generic")
    if not isinstance(cached, re.Pattern):
        words = sorted(
            (normalize(str(w)) for w in ctx.cp.param("QA-06", "generic_org_words", [])), key=len, reverse=True
        )
        cached = re.compile("|".join(re.escape(w) for w in words if w) or "(?!)")
        ctx.cp.cache["QA-06:generic"] = cached
    # (a 的 as a name's second character belongs to the name: 美的, 美的官方售后 -> 美的)
    return _FIGURES.sub("", cached.sub(lambda m: "的" if m.start() == 1 and m.group(0) == "的" else "", name))


_NEVER = re.compile(r"(?!)")


def _pattern(ctx: CallContext, rule_id: str, name: str) -> re.Pattern[str]:
    """The one pattern of a policy list that a structure is read with (a word list kept in the
    policy, groups intact); a list the policy leaves out matches nothing."""
    pats = ctx.cp.regex(rule_id, name)
    return pats[0] if pats else _NEVER


class _OrgWords:
    """The QA-06 word lists an organisation is read with, looked up once per policy."""

    def __init__(self, ctx: CallContext) -> None:
        def one(name: str) -> re.Pattern[str]:
            return _pattern(ctx, "QA-06", name)

        self.affiliation = one("affiliation")
        self.registered_with = one("registered_with")
        self.customers_own = one("customers_own")
        self.about_customer = one("about_customer")
        self.supplier_before = one("supplier_before")
        self.supplier_after = one("supplier_after")
        self.supplier_verb = one("supplier_verb")
        self.supplier_role = one("supplier_role")
        self.facility_after = one("facility_after")
        self.affiliated_after = one("affiliated_after")
        self.denial_after = one("denial_after")
        self.denial_before = one("denial_before")
        self.joint_after = one("joint_after")
        self.person = one("person")
        self.model_after = one("model_after")


def _org_words(ctx: CallContext) -> _OrgWords:
    cached = ctx.cp.cache.get("QA-06:words")
    if not isinstance(cached, _OrgWords):
        cached = _OrgWords(ctx)
        ctx.cp.cache["QA-06:words"] = cached
    return cached


def _own_organisation(ctx: CallContext, org: str, authorized: list[str]) -> bool:
    """The organisation the agent presents as is the team's own: an authorised name, one sharing
    its distinctive part (恒安 in 恒安保险代理), or no name at all but a general claim of legitimacy
    (我们是国家正规的通信运营商, 正规持牌中介机构; 人社局备案的职业培训机构: registered with an authority,
    not its partner)."""
    words = _org_words(ctx)
    affiliation = words.affiliation
    registered = words.registered_with.search(org)
    if registered is not None and affiliation.search(org, registered.end()) is None:
        return True
    if org.find("的", 2) != -1 and affiliation.search(org) is None:
        # a description of the team (独立的二手鉴定寄卖平台), no other organisation claimed; a 的 in a name's
        # second character (美的官方延保服务中心) belongs to the name
        return True
    partner = affiliation.match(org)
    if partner:
        org = partner.group("org")  # 美年大健康的合作体检: the organisation claimed is 美年大健康
    else:
        # a description (在证监会备案的正规持牌机构) names what follows its last 的; a 的 that ends the name
        # (美的) is part of it
        tail = org.rpartition("的")[2]
        org = tail or org
    core = _org_core(ctx, org)
    if len(core) < 2:
        return True
    for name in authorized:
        if name in org or org in name or _one_slip(org, name):
            return True
        # a Chinese organisation name leads with what distinguishes it (悠途旅行社 / 携程旅行)
        own = _org_core(ctx, name) or name
        # (the whole core inside the own name: 恒爱珠宝 in 六安恒爱珠宝; a sector word the two share, 知识产权 in
        # 标卫知识产权 and 国家知识产权局, is no match)
        if own[:2] in core or core in own:
            return True
    return False


def _one_slip(a: str, b: str) -> bool:
    """Two names of three characters or more that differ in one character only: the team's own name
    with a recogniser's homophone slip (晶鹏农膜 for 晶棚农膜), not another organisation."""
    return len(a) == len(b) >= 3 and sum(x != y for x, y in zip(a, b, strict=True)) == 1


def _same_agent_again(ctx: CallContext, t: TurnView, m: re.Match[str], authorized: list[str]) -> bool:
    """The intro ends with the agent's own name (…的小邵) that the agent gave before, or in the same turn,
    after an authorised name (我是云鬓发制品的小邵): the same person describing the team in other words
    (我是假发厂的小邵), no other organisation."""
    if "org" not in m.re.groupindex:
        return False
    tail = m.string[m.end("org") : m.end()]
    if not tail.startswith("的") or len(tail) > 4 or len(tail) < 3:
        return False
    said = [a.norm for a in ctx.agent_turns if a.index < t.index] + [m.string[: m.start()]]
    return any(b + tail in text for b in authorized for text in said)


def _customer_side(ctx: CallContext, t: TurnView, start: int, org: str) -> bool:
    """The organisation the agent names belongs to the customer's side: its first mention in the
    call is the customer's own (我们单位的工会) or the agent's in a clause about the customer
    (您孩子在学校报了围棋社团): a club, school or employer of theirs, not a brand the agent sells under."""
    core = _org_core(ctx, org)
    if len(core) < 2:
        return False
    for u in ctx.speech:  # the first mention in the call decides whose it is
        if u.index > t.index:
            break
        text = u.norm[:start] if u is t else u.norm
        pos = text.find(core)
        if pos == -1:
            continue
        cs = _sentence_bounds(text, pos, pos)[0]
        # theirs: the customer says 我/我们 of it (我们单位的工会), or the agent 您/你 (您孩子报了围棋社团); a
        # brand the customer only asks about (我想看比亚迪的车) is no organisation of theirs
        words = _org_words(ctx)
        whose = words.customers_own if u.is_customer else words.about_customer
        return whose.search(text[cs:pos]) is not None
    return False


def _supplier_mention(
    ctx: CallContext, t: TurnView, start: int, end: int, authorized: list[str], presented: bool
) -> bool:
    """A catalogue brand named as the maker or insurer of a part of the offer (保险是中国人保的团体意外险,
    用的是华为的路由器), no presentation word before it in its clause, by an agent who has presented the
    team's own authorised brand by then: the team sells under its own name, the brand is a supplier."""
    norm = t.norm
    cs = clause_start(norm, start)
    rid = "QA-06"
    words = _org_words(ctx)
    if words.supplier_verb.match(norm, end) is not None and (norm[cs:start].endswith(("由", "是")) or not presented):
        # 我们代理的货运险是由太平洋保险承保的: who underwrites it, not who sells it, even after 我们
        return _own_presented(ctx, t, authorized)
    if words.facility_after.match(norm, end) is not None:
        return _own_presented(ctx, t, authorized)  # 我们的服务器放在中国电信的机房: where it runs, not who sells
    if presented or words.supplier_before.search(norm, cs, start) is None:
        return False
    after = words.supplier_after.match(norm, end)
    if after is None:
        # named in its role (承保公司是中国平安, 芯片是华为): what it makes or underwrites, not who sells
        role = words.supplier_role
        if not (end == len(norm) or norm[end] in CLAUSE_DELIMS) or role.search(norm, cs, start) is None:
            return False
        return _own_presented(ctx, t, authorized)
    claims = ctx.cp.phrases(rid, "org_intro_trigger")
    if any(w in after.group(0) for w in claims):
        return False  # 是中国移动的授权代理: a presentation after all
    return _own_presented(ctx, t, authorized)


def _own_presented(ctx: CallContext, t: TurnView, authorized: list[str]) -> bool:
    """The agent has named the team's own authorised brand by turn ``t``."""
    own = "\n".join(a.norm for a in ctx.agent_turns if a.index <= t.index)
    return any(b and b in own for b in authorized)


def _described_against_other(ctx: CallContext, t: TurnView, org: str, end: int, authorized: list[str]) -> bool:
    """The agent, having presented the team's own brand, says what kind of firm the team is and sets
    it against another organisation in the same sentence (我们是第三方安装公司,不是比亚迪的授权服务商 /
    我们是安装公司,不是隆基的代理): a description of the team, not a brand it presents under. (A claimed tie,
    我们是国家电网的合作单位,不是骗子, is a presentation whatever follows.)"""
    words = _org_words(ctx)
    start = end - len(org)
    denied = words.denial_after.match(t.norm, end) is not None or (
        # (or before it in the turn: 我们不是滴滴的,跟滴滴也没有合作关系,我们是租车公司)
        words.denial_before.search(t.norm, 0, max(0, start)) is not None
    )
    return denied and words.affiliation.search(org) is None and _own_presented(ctx, t, authorized)


_OPENING_TURNS = 2  # turn indexes of the opening (greeting, who is on the line, introduction)


# Every QA-06 call-wide set a reading starts from: a turn with none is skipped.
_QA06_SETS = frozenset(
    {"QA-06:brand", "QA-06:org_intro_trigger", "QA-06:org_affiliation_trigger", "QA-06:org_intro_join_trigger"}
)


def detect_qa06(call: CallRecord, policy: Policy, ctx: CallContext) -> list[Finding]:
    rid = "QA-06"
    index = _brand_index(ctx)
    authorized_raw = [normalize(b) for b in (*call.campaign.authorized_brands, call.campaign.brand) if b]
    authorized = {index.alias_to_canon.get(b, b) for b in authorized_raw}
    raised_by_customer: set[str] = set()
    suppliers: set[str] = set()
    words = _org_words(ctx)  # the QA-06 word lists, looked up once for the call
    for t in ctx.speech:
        if t.hits.keys().isdisjoint(_QA06_SETS):
            continue  # no brand and no presentation of any organisation in the turn: one look
        brand_hits = [(h.start, h.end, index.alias_to_canon[h.phrase]) for h in ctx.hits(t, rid, "brand")]
        if t.is_customer:
            raised_by_customer.update(c for _, _, c in brand_hits)
            continue
        subject = "QA-06:org_affiliation_trigger" in t.hits
        if (
            not brand_hits
            and _rx_search(ctx, t, rid, "org_intro") is None
            and ("QA-06:org_intro_join_trigger" not in t.hits or _rx_search(ctx, t, rid, "org_intro_join") is None)
        ):
            subject_rx = ctx.cp.regex_any(rid, "org_intro_subject") if subject else None
            if subject_rx is None or subject_rx.search(t.norm) is None:
                continue
        auth_spans = [(p, p + len(b)) for b in authorized_raw for p in _find_all(t.norm, b)]
        vetoes = ctx.hits(t, rid, "brand_except")
        pres = ctx.hits(t, rid, "presentation")
        ctx_ok = ctx.hits(t, rid, "context_ok")
        for s, e, canon in brand_hits:
            if canon in authorized or canon in raised_by_customer:
                continue
            if any(a <= s and e <= b and (a, b) != (s, e) for a, b, _ in brand_hits):
                continue  # an alias inside a longer name (人保 in 中国人保): the longer one is read
            if any(a <= s and e <= b for a, b in auth_spans) or any(v.start <= s and e <= v.end for v in vetoes):
                continue
            cs = clause_start(t.norm, s)
            last_pres = max((h.end for h in pres if cs <= h.start and h.end <= s), default=-1)
            last_ok = max((h.end for h in ctx_ok if cs <= h.start and h.end <= s), default=-1)
            if last_ok > last_pres and words.joint_after.match(t.norm, e) is None:
                continue  # the customer's current provider / a comparison (我们比移动的便宜)
            presented = last_pres >= 0
            named_again = canon in suppliers or any(t.norm[s:e] in sup for sup in suppliers)  # 人保 after 人保财险
            if (not presented and named_again) or _supplier_mention(ctx, t, s, e, authorized_raw, presented):
                suppliers.add(canon)  # (named again later, 太保的客服电话, it is the same supplier)
                continue  # the maker or insurer of a part of the team's own offer (保险是中国人保的团体意外险)
            if not presented and words.model_after.match(t.norm, e) is not None:
                continue  # a product by its model (一台华为P30): what the customer has, no organisation
            if not presented and t.index > _OPENING_TURNS and words.affiliated_after.match(t.norm, e) is None:
                # named, not presented under: a payment app, a mall, a maker (先绑定一下支付宝, 万达广场一楼). In the
                # opening any naming presents (移动公司的小王); later it takes a presentation word before it or an
                # affiliation after it (中国邮政的合作运营商, 雀巢那边的体系)
                continue
            return [ctx.quote(t, s, e, rid, f"agent presents under {canon}, not an authorised brand")]
        intro = list(ctx.cp.regex(rid, "org_intro")) if ctx.has(t, rid, "org_intro_trigger") else []
        joins = ctx.cp.regex(rid, "org_intro_join") if "QA-06:org_intro_join_trigger" in t.hits else []
        intro += joins  # joined to another's network (加入了…联盟), passed off as it (就当是办的…)
        if subject:
            intro += ctx.cp.regex(rid, "org_intro_subject")
        for pat in intro:
            for m in pat.finditer(t.norm):
                org = m.group("org") if "org" in pat.groupindex else m.group(0)
                if "《" in m.group(0):
                    # a title (上过中央台《舌尖上的中国》) is a name whatever its words: only the team's own is none
                    if any(b in org or org in b for b in authorized_raw):
                        continue
                elif words.person.fullmatch(org) or _own_organisation(ctx, org, authorized_raw):
                    continue  # (a person, 小邱老师推荐的, is no organisation)
                if _same_agent_again(ctx, t, m, authorized_raw):
                    continue  # 我是云鬓发制品的小邵 … 我是假发厂的小邵: the same agent describing the team
                named = index.find(org)
                if named:
                    if pat in joins and any(c not in authorized for _, _, c in named):
                        # passed off as a catalogue brand (就当是办的移动宽带), even one the customer named first
                        s, e = _group_span(m, "org")
                        return [ctx.quote(t, s, e, rid, f"agent passes the offer off as {named[0][2]}'s")]
                    continue  # catalogue brands are handled above
                s, e = _group_span(m, "org")
                if _customer_side(ctx, t, s, org):
                    continue  # the customer's own club, school or employer (您孩子报了围棋社团,我们是社团的合作机构)
                if _described_against_other(ctx, t, org, e, authorized_raw):
                    continue  # 我们是第三方安装公司,不是比亚迪的授权服务商: what kind of firm the team is
                return [ctx.quote(t, s, e, rid, f"agent presents as {org}, not an authorised brand")]
    return []


# --------------------------------------------------------------------------------------------- QA-07
_SENTENCE_END = re.compile(r"[。!?…\n]")


def _sentence_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """The sentence (up to 。!? …) around ``start:end``: a reply's form and target are read in it."""
    s = start
    while s > 0 and text[s - 1] not in "。!?…\n":
        s -= 1
    m = _SENTENCE_END.search(text, end)
    return s, (m.end() if m else len(text))


def detect_qa07(call: CallRecord, policy: Policy, ctx: CallContext) -> list[Finding]:
    """Rude, interrogating or rhetorical replies aimed at the customer.

    Three readings of an agent turn: a listed rude phrase; a reproach of the customer in any
    wording (``reproach`` patterns: throwing a question back at them, blaming them, 早干嘛去了, 还要
    …到什么时候); a rhetorical question (``rhetorical``) unless its sentence is about the offer's
    value and blames no one (难道不值得考虑一下吗 persuades, 难道您连这个都不知道吗 reproaches). A
    rhetorical question about a proposition (``rhetorical_about``: 难道…吗, 不就是…吗) that answers
    the agent's own question just before it, and neither names nor blames the customer
    (``customer_target``, ``customer_blame``), is exposition (搬家最怕什么?不就是东西磕了碰了吗?);
    thrown back at the customer (不就是打个电话吗?) it is a reproach."""
    rid = "QA-07"
    out: list[Finding] = []
    for t in ctx.agent_turns:
        if t.hits.keys().isdisjoint(_QA07_SETS):
            continue  # none of the rule's call-wide sets in the turn: nothing to read (one look per turn)
        # words the agent quotes (上个月有个客户开口就说"这不就是骗钱嘛") are another's, aimed at no one on the line
        norm = t.norm

        def in_own_voice(start: int, norm: str = norm) -> bool:
            return not any(a <= start < b for a, b in quoted_spans(norm))

        hits = [h for h in t.hits.get("QA-07:rude", ()) if in_own_voice(h.start)]  # a call-wide set: in the turn's dict
        if hits:
            h = min(hits)
            out.append(ctx.quote(t, *_clause_bounds(t.norm, h.start, h.end), rid, "rude / interrogating reply"))
            continue
        m = _rx_search(ctx, t, rid, "reproach") if "QA-07:reproach_trigger" in t.hits else None
        if m is None and "QA-07:reproach_slight_trigger" in t.hits:
            m = _rx_search(ctx, t, rid, "reproach_slight")
        if m is None and "QA-07:reproach_more_trigger" in t.hits:
            m = _rx_search(ctx, t, rid, "reproach_more")
        if m is None and "QA-07:reproach_worded_trigger" in t.hits:
            m = _rx_search(ctx, t, rid, "reproach_worded")
        if m is None and "QA-07:reproach_form_trigger" in t.hits:
            m = _reproach_form(ctx, t)
        if m and in_own_voice(m.start()):
            s, e = _sentence_bounds(t.norm, *m.span())
            if "?" in t.norm[s : e + 1] or not _listening_within(ctx, t, s, e):
                out.append(ctx.quote(t, *_trim(t.norm, s, e), rid, "rhetorical reproach aimed at the customer"))
                continue
            # (您这是光记住了前半截,后半截没往心里去。: a listening phrase stated, not asked: QA-10's matter)
        for name, trigger, needs_target in _RHETORICAL_LISTS:
            if trigger not in t.hits:  # call-wide sets: one dict lookup per turn
                continue
            m = _rx_search(ctx, t, rid, name)
            if m is None or not in_own_voice(m.start()):
                continue
            s, e = _trim(t.norm, *m.span())
            ss, se = _sentence_bounds(t.norm, s, e)
            blame = ctx.cp.regex_any(rid, "customer_blame")
            blamed = blame is not None and blame.search(t.norm, ss, se) is not None
            if not blamed:
                offer = ctx.cp.regex_any(rid, "offer_value")
                if offer is not None and offer.search(t.norm, ss, se) is not None:
                    continue  # a persuasive question about the offer, not aimed at the customer
                target = ctx.cp.regex_any(rid, "customer_target")
                if needs_target and (target is None or target.search(t.norm, ss, se) is None):
                    if _answers_own_question(t.norm, ss):
                        continue  # the agent answers its own question about the job (搬家最怕什么?不就是…吗?)
                    own = ctx.cp.regex_any(rid, "agent_self_target")
                    if own is not None and own.search(t.norm, ss, se) is not None:
                        continue  # about the agent's own side (难道是我说得太快了吗?)
            out.append(ctx.quote(t, s, e, rid, "rhetorical / interrogating reply"))
            break
        else:
            q = _marked_question(ctx, t) if "QA-07:rhetorical_marker_trigger" in t.hits and "?" in t.norm else None
            if q is not None and in_own_voice(q[0]):
                out.append(ctx.quote(t, *q, rid, "rhetorical question aimed at the customer"))
    offended = [c for c in ctx.customer_turns if "QA-07:offended_trigger" in c.hits]  # a call-wide set
    if offended:
        out = _offence_readings(ctx, offended, out)
    return out


_MarkerPlan = tuple[
    dict[str, tuple[re.Pattern[str], ...]],
    re.Pattern[str] | None,
    re.Pattern[str] | None,
    re.Pattern[str] | None,
    re.Pattern[str] | None,
]


def _marker_plan(ctx: CallContext) -> _MarkerPlan:
    """(anchor phrase -> the ``rhetorical_marker`` patterns it anchors, per ``rhetorical_marker_anchors``;
    then the target, polite, offer-value and blame patterns the question is read with), built once per
    policy."""
    cached = ctx.cp.cache.get("QA-07:marker_plan")
    if not isinstance(cached, tuple):
        rid = "QA-07"
        pats = ctx.cp.regex(rid, "rhetorical_marker")
        anchors = ctx.cp.param(rid, "rhetorical_marker_anchors", [])
        plan: dict[str, list[re.Pattern[str]]] = {}
        for k, pat in enumerate(pats):
            for a in anchors[k] if k < len(anchors) else ():
                plan.setdefault(normalize(str(a)), []).append(pat)
        cached = (
            {a: tuple(p) for a, p in plan.items()},
            ctx.cp.regex_any(rid, "question_target"),
            ctx.cp.regex_any(rid, "polite_question"),
            ctx.cp.regex_any(rid, "offer_value"),
            ctx.cp.regex_any(rid, "customer_blame"),
        )
        ctx.cp.cache["QA-07:marker_plan"] = cached
    built: _MarkerPlan = cached  # set just above under this key
    return built


def _marked_question(ctx: CallContext, t: TurnView) -> tuple[int, int] | None:
    """A question of the agent's that is rhetorical by its grammar, whatever its words: it names
    the customer (您, 你, 自己) or sets others against them (别人, 人家), and carries a marker of
    a question that expects no answer (``rhetorical_marker``: 连…都, 还有心思, 不就…了, 怎么就, 不会…吧,
    是不是压根, 别人都…). A polite request (``polite_question``) or a question about the offer's value
    that blames no one (``offer_value``) is not one. Only the patterns whose anchors the turn holds
    run, once over the turn; then each question sentence holding a marker is read."""
    plan, target, polite, offer, blame = _marker_plan(ctx)
    remedy = ctx.cp.regex_any("QA-07", "remedy_follows")
    norm = t.norm
    pats: dict[re.Pattern[str], None] = {}
    for h in t.hits.get("QA-07:rhetorical_marker_trigger", ()):
        pats.update(dict.fromkeys(plan.get(h.phrase, ())))
    spans = sorted(m.span() for pat in pats for m in pat.finditer(norm))
    if not spans:
        return None  # the anchors stood in other words (能不能, 大家好)
    starts = [a for a, _ in spans]
    end = norm.find("?", starts[0])
    while end != -1:
        s, e = _trim(norm, *_sentence_bounds(norm, end, end))
        k = bisect_left(starts, s)
        if (
            k < len(starts)
            and starts[k] < e
            and (
                target is None
                or target.search(norm, s, e) is not None
                # the question right after one put to the customer is aimed at them too (您回家以后给它吹干了没有?
                # 湿着毛就让它趴地板上,那能不起疹子吗?)
                or (s > 0 and norm[s - 1] == "?" and target.search(norm, _sentence_bounds(norm, s - 1, s - 1)[0], s))
            )
            and (polite is None or not _polite_outside(polite, norm, s, e, spans))
            and (
                (blame is not None and blame.search(norm, s, e) is not None)
                or (
                    (offer is None or offer.search(norm, s, e) is None)
                    # (…眼睛能不累吗?检查是免费的: the problem raised to sell its remedy)
                    and (remedy is None or remedy.match(norm, e) is None)
                )
            )
        ):
            return s, e
        end = norm.find("?", e)
    return None


def _polite_outside(polite: re.Pattern[str], norm: str, s: int, e: int, markers: list[tuple[int, int]]) -> bool:
    """A polite word in ``norm[s:e]`` that is not part of a marker (还觉得…? holds 觉得, and mocks)."""
    m = polite.search(norm, s, e)
    while m is not None:
        if not any(a <= m.start() < b for a, b in markers):
            return True
        m = polite.search(norm, m.end(), e)
    return False


def _reproach_form_plan(ctx: CallContext) -> dict[str, tuple[re.Pattern[str], ...]]:
    """anchor phrase -> the ``reproach_form`` patterns it anchors (``reproach_form_anchors``, in the
    patterns' order), built once per policy: a turn runs only the patterns its anchors call for."""
    cached = ctx.cp.cache.get("QA-07:reproach_form")
    if not isinstance(cached, dict):
        pats = ctx.cp.regex("QA-07", "reproach_form")
        anchors = ctx.cp.param("QA-07", "reproach_form_anchors", [])
        plan: dict[str, list[re.Pattern[str]]] = {}
        for k, pat in enumerate(pats):
            # a pattern without anchors of its own runs on every turn holding a trigger phrase
            for a in anchors[k] if k < len(anchors) else ctx.cp.phrases("QA-07", "reproach_form_trigger"):
                plan.setdefault(normalize(str(a)), []).append(pat)
        cached = {a: tuple(p) for a, p in plan.items()}
        ctx.cp.cache["QA-07:reproach_form"] = cached
    built: dict[str, tuple[re.Pattern[str], ...]] = cached  # set just above under this key
    return built


def _reproach_form(ctx: CallContext, t: TurnView) -> re.Match[str] | None:
    """The leftmost ``reproach_form`` match of an agent turn (a "who" question after a mishap,
    "until when", "don't you know yourself", the customer singled out …), among the patterns its
    anchor phrases call for, that the agent does not answer at once for its own side (出了问题谁负责?
    我们全程负责。: exposition, not a reproach)."""
    plan = _reproach_form_plan(ctx)
    pats: dict[re.Pattern[str], None] = {}  # the patterns to run, once each, in a stable order
    for h in t.hits.get("QA-07:reproach_form_trigger", ()):
        pats.update(dict.fromkeys(plan.get(h.phrase, ())))
    answered = ctx.cp.regex_any("QA-07", "answered_for_own_side")
    norm = t.norm
    best: re.Match[str] | None = None
    for pat in pats:
        for m in pat.finditer(norm):
            if best is not None and m.start() >= best.start():
                break
            e = m.end() if norm[m.end() - 1 : m.end()] == "?" else _sentence_bounds(norm, *m.span())[1]
            if answered is not None and norm[e - 1 : e] == "?" and answered.match(norm, e) is not None:
                continue
            best = m
            break
    return best


def _offence_readings(ctx: CallContext, offended: list[TurnView], out: list[Finding]) -> list[Finding]:
    """What the customer did next: a customer who takes offence (什么态度, 你这话说的, 我挑一下怎么了?)
    shows that the agent's question just before was aimed at them. That question (the agent's last
    in the turn, naming the customer, not a polite request for information) is a rhetorical reply,
    in whatever wording; and an agent who answers the offence by throwing the customer's own
    question back (你凶什么? -> 我凶什么?) reproaches them. The finding quotes the agent's sentence
    and carries the customer's words (``related``: reaction)."""
    rid = "QA-07"
    rx = ctx.cp.regex_any(rid, "offended")
    if rx is None:
        return out
    flagged = {f.turn for f in out}
    speech = ctx.speech
    added: list[Finding] = []
    pushed = ctx.cp.regex_any(rid, "offended_by_pushing")
    push = ctx.cp.regex_any("QA-04", "push")
    for c in offended:
        m = rx.search(c.norm)
        if m is None:
            continue
        reaction = ctx.evidence("reaction", c, *_clause_bounds(c.norm, *m.span()))
        k = bisect_left(speech, c.index, key=_turn_index)
        prev = speech[k - 1] if k > 0 else None
        at_pushing = (
            prev is not None
            and pushed is not None
            and pushed.search(c.norm) is not None
            and (bool(ctx.hits(prev, "QA-04", "pitch")) or (push is not None and push.search(prev.norm) is not None))
        )
        if prev is not None and prev.is_agent and prev.index not in flagged and not at_pushing:
            # (offence at being pushed on, 你这人咋这么缠人, after a pitch: QA-04's matter, not a remark)
            q = _question_at_customer(ctx, prev)
            if q is None and (by_remark := ctx.cp.regex_any(rid, "offended_by_remark")) is not None:
                q = _remark_at_customer(ctx, prev) if by_remark.search(c.norm) else None
            if q is not None:
                flagged.add(prev.index)
                added.append(
                    ctx.quote(prev, *q, rid, "a question aimed at the customer, who takes offence at it", (reaction,))
                )
        nxt = speech[k + 1] if k + 1 < len(speech) else None
        if nxt is not None and nxt.is_agent and nxt.index not in flagged:
            echo = _echoes_back(c, nxt)
            if echo is not None:
                flagged.add(nxt.index)
                added.append(ctx.quote(nxt, *echo, rid, "the customer's question thrown back at them", (reaction,)))
    if not added:
        return out
    return sorted([*out, *added], key=lambda f: -1 if f.turn is None else f.turn)


def _question_at_customer(ctx: CallContext, t: TurnView) -> tuple[int, int] | None:
    """The agent turn's last question (a sentence ending in ?) that names the customer (您, 你, 自己)
    or asks who, and is not a polite request for information (请问, 方便, 可以吗, 您看 …)."""
    norm = t.norm
    end = norm.rfind("?")
    target = ctx.cp.regex_any("QA-07", "customer_target")
    polite = ctx.cp.regex_any("QA-07", "polite_question")
    remedy = ctx.cp.regex_any("QA-07", "remedy_follows")
    while end != -1:
        s, e = _sentence_bounds(norm, end, end)
        s, e = _trim(norm, s, e)
        aimed = "谁" in norm[s:e] or (target is not None and target.search(norm, s, e) is not None)
        if (
            aimed
            and (polite is None or polite.search(norm, s, e) is None)
            and (remedy is None or remedy.match(norm, e) is None)
        ):
            return s, e  # (…司机都有证吧?我们这边也能帮着安排年检: a question leading to an offer of help)
        end = norm.rfind("?", 0, s)
    if "?" not in norm and not _SENTENCE_END.search(norm):
        # a recogniser's transcript writes no question mark: a clause asking by its own words (哪台二手车没修过,
        # 还想要跟新的一样啊) makes the turn a question, read as one sentence
        asks = _UNMARKED_QUESTION.search(norm)
        if (
            asks is not None
            and (target is not None and target.search(norm) is not None)
            and (polite is None or polite.search(norm) is None)
        ):
            return _trim(norm, 0, len(norm))
    return None


# a question asked by its words alone: a question word, or a question particle ending a clause
_UNMARKED_QUESTION = re.compile(r"哪[个台家样里儿位种]|谁|什么|啥|怎么|咋|难道|(?:吗|么|呢|咩)(?=,|$)")


def _remark_at_customer(ctx: CallContext, t: TurnView) -> tuple[int, int] | None:
    """With no question at the customer in the turn: its last sentence that names the customer
    (您, 你, 您家 …) and is neither a polite request or proposal nor an apology. A customer who takes
    offence at it (你的意思是我们不动脑子呗?) shows it was aimed at them: mockery or blame stated,
    not asked (…您这是自己一勺一勺往管子里砌墙呢)."""
    norm = t.norm
    target = ctx.cp.regex_any("QA-07", "customer_target")
    polite = ctx.cp.regex_any("QA-07", "polite_question")
    offer = ctx.cp.regex_any("QA-07", "offer_value")
    apology = ctx.cp.regex_any("QA-07", "apology")
    listening = _listening_paraphrase(ctx, t)
    push = ctx.cp.regex_any("QA-04", "push")
    end = len(norm)
    while end > 0:
        s, e = _trim(norm, *_sentence_bounds(norm, end - 1, end - 1))
        if (
            target is not None
            and target.search(norm, s, e) is not None
            and (polite is None or polite.search(norm, s, e) is None)
            and (apology is None or apology.search(norm, s, e) is None)
            # a pitch the customer is tired of is QA-04's matter, a "you got it wrong" QA-10's
            and (offer is None or offer.search(norm, s, e) is None)
            and (push is None or push.search(norm, s, e) is None)
            and not any(s <= h.start < e for h in ctx.hits(t, "QA-10", "forbidden"))
            and (listening is None or not s <= listening.start() < e)
        ):
            return s, e
        end = s - 1 if s > 0 else 0
        while end > 0 and norm[end - 1] in "。!?…\n ":
            end -= 1
    return None


_ECHO_SPLIT = re.compile(r"[^?!。.!?,;]+\?")  # a question clause


def _echoes_back(c: TurnView, a: TurnView) -> tuple[int, int] | None:
    """The agent's turn opens with one of the customer's questions turned on the customer (你凶什么?
    -> 我凶什么?): the agent throws the question back instead of answering it."""
    first = _ECHO_SPLIT.match(a.norm.lstrip())
    if first is None:
        return None
    said = first.group(0).strip(" ,")
    if "我" not in said or len(said) > 10:
        return None
    for q in _ECHO_SPLIT.findall(c.norm):
        q = q.strip(" ,")
        if ("你" in q or "您" in q) and q.replace("你", "我").replace("您", "我") == said:
            s = a.norm.index(said)
            return s, s + len(said)
    return None


# Every QA-07 set a reading starts from (all call-wide agent sets): a turn with none is skipped.
_QA07_SETS = frozenset({
    "QA-07:rude", "QA-07:reproach_trigger", "QA-07:reproach_slight_trigger", "QA-07:reproach_form_trigger",
    "QA-07:rhetorical_trigger", "QA-07:rhetorical_about_trigger", "QA-07:rhetorical_marker_trigger",
    "QA-07:reproach_more_trigger", "QA-07:reproach_worded_trigger",
})  # fmt: skip
# (pattern list, its trigger set, counts only when aimed at the customer): see detect_qa07
_RHETORICAL_LISTS = (
    ("rhetorical", "QA-07:rhetorical_trigger", False),
    ("rhetorical_about", "QA-07:rhetorical_about_trigger", True),
)


def _answers_own_question(text: str, sentence_start: int) -> bool:
    """The sentence follows a question the agent just asked in the same turn (设问: the agent poses
    a question and answers it, 装修最怕什么?不就是…吗?): exposition, not a reply thrown at the customer."""
    return text[:sentence_start].rstrip().endswith("?")


def _trim(text: str, s: int, e: int) -> tuple[int, int]:
    while s < e and text[s] in ",.!?;。、 ":
        s += 1
    return s, e


# --------------------------------------------------------------------------------------------- QA-08
def detect_qa08(call: CallRecord, policy: Policy, ctx: CallContext) -> list[Finding]:
    rid = "QA-08"
    allowed = call.campaign.allowed_caller_carriers
    if not allowed or not call.caller_number:
        return []
    name = carrier_of(call.caller_number, str(ctx.cp.param(rid, "region", "CN")))
    if not name and not ctx.cp.param(rid, "flag_unknown_carrier", False):
        return []
    if name in allowed:
        return []
    return [
        ctx.finding(
            rid,
            evidence=f"{call.caller_number} ({name or 'unknown carrier'})",
            reason=f"caller number is on {name or 'an unknown carrier'}; the campaign allows {', '.join(allowed)}",
        )
    ]


# --------------------------------------------------------------------------------------------- QA-09
def _figure_not_priced(ctx: CallContext, norm: str, s: int, e: int) -> bool:
    """The figure is nought (0元: free), or its clause, or the clause before it, is about a cover, a
    limit, a payout, pay or a loan (每人的赔偿限额还是八十万,工伤医疗每人五万), or its own clause
    about a reading (TDS值是三百二), and its own clause says nothing of paying it."""
    context = ctx.cp.regex_any("QA-09", "not_price_context")
    priced = ctx.cp.regex_any("QA-09", "price_clause")
    if context is None:
        return False
    if norm[s:e].lstrip("0０零〇")[:1] in ("元", "块", ""):
        return True  # 0元 / 零元: free, no price
    if _COUNT_AFTER.match(norm, e):
        return True  # 按一百八十块的数量: a count of pieces
    if norm[s:e].endswith("块") or norm.startswith("块", e):
        pieces = ctx.cp.regex_any("QA-09", "piece_items")
        if pieces is not None and pieces.search(norm) is not None:
            return True  # 块 counts pieces of the item named in the turn (一块板…能摆二十四块左右)
    cs, ce = _clause_bounds(norm, s, e)
    saved = ctx.cp.regex_any("QA-09", "savings_before")
    if saved is not None and saved.search(norm[cs:s]) is not None:
        return True  # what the customer saves on a bill of theirs (一年电费大概能省八百到一千块)
    if priced is not None and priced.search(norm, cs, ce) is not None:
        return False
    reading = ctx.cp.regex_any("QA-09", "reading")
    if reading is not None and reading.search(norm, cs, ce) is not None:
        return True  # a measured reading (您家的水测出来是四百一): what is measured, in its own clause only
    before = clause_start(norm, cs - 1) if cs > 1 else cs
    return context.search(norm, before, ce) is not None


_COUNT_AFTER = re.compile(r"的?(?:数量|个数|块数|件数)")
_COUNTED = re.compile(r"[十百千万]?(?:个|件|根|条|张|台|套|箱|袋|棵|株|头|只|米|吨|斤|平|亩|把)")


def _said_before_as_no_price(ctx: CallContext, t: TurnView, figure: str) -> bool:
    """An earlier agent turn gave ``figure`` in a clause about a cover, a limit, pay or a reading."""
    for a in ctx.agent_turns:
        if a.index >= t.index:
            return False
        pos = a.norm.find(figure)
        while pos != -1:
            if _figure_not_priced(ctx, a.norm, pos, pos + len(figure)) or _COUNTED.match(a.norm, pos + len(figure)):
                return True  # (扣件五百六十个 … 扣件是五百六: a count said before, shortened)
            pos = a.norm.find(figure, pos + 1)
    return False


def detect_qa09(call: CallRecord, policy: Policy, ctx: CallContext) -> list[Finding]:
    rid = "QA-09"
    if call.campaign.price_on_phone:
        return []
    out: list[Finding] = []
    asked = ctx.cp.regex_any(rid, "price_asked")
    priced = ctx.cp.regex_any(rid, "price_clause")
    speech = ctx.speech
    for t in ctx.agent_turns:
        spans = _money_spans(ctx, t)
        if spans:
            # a figure the customer said before is theirs, echoed (四百出头吧 -> 四百出头有点悬; 按您说的二十万)
            said = [c.norm for c in ctx.customer_turns if c.index < t.index]
            if said:
                spans = [(s, e) for s, e in spans if not any(t.norm[s:e] in c for c in said)]
        if spans:
            spans = [
                (s, e)
                for s, e in spans
                if not _figure_not_priced(ctx, t.norm, s, e)
                and not (
                    # the same figure said again in a clause with no price word (房屋五十万、室内财产十万 after
                    # 房屋保额可以保五十万): what it was said as before, a cover or a reading, it still is
                    (priced is None or priced.search(t.norm, *_clause_bounds(t.norm, s, e)) is None)
                    and _said_before_as_no_price(ctx, t, t.norm[s:e])
                )
            ]
        if spans and asked is not None and all(t.norm[e - 1] == "块" for _, e in spans):
            # only bare 块 figures, and the customer then asks the price: they were pieces (各要二十四块)
            k = bisect_left(speech, t.index + 1, key=_turn_index)
            nxt = speech[k] if k < len(speech) else None
            if nxt is not None and nxt.is_customer and asked.search(nxt.norm) is not None:
                continue
        if spans:
            s, e = spans[0]
            out.append(ctx.quote(t, s, e, rid, "concrete price quoted on the phone (price_on_phone is false)"))
    return out


# --------------------------------------------------------------------------------------------- QA-10
# the QA-10 pattern lists a listening phrase is read with, each behind its own trigger set
_LISTENING_LISTS = (
    "paraphrase",
    "paraphrase_misread",
    "paraphrase_never",
    "paraphrase_wrong_take",
    "paraphrase_not_understood",
    "paraphrase_express",
    "paraphrase_denial",
)
_LISTENING_TRIGGERS = frozenset(f"QA-10:{name}_trigger" for name in _LISTENING_LISTS)


def _listening_paraphrase(ctx: CallContext, t: TurnView) -> re.Match[str] | None:
    """The first listed listening phrase in any wording in an agent turn (您八成是把…看成一个了,
    打上线到现在…没丢过) that the agent does not deny saying (也不是说您看错了)."""
    if t.hits.keys().isdisjoint(_LISTENING_TRIGGERS):
        return None  # none of the lists' call-wide trigger sets in the turn: one look
    rid = "QA-10"
    negated = ctx.cp.regex_any(rid, "paraphrase_negated_before")
    for name in _LISTENING_LISTS:
        m = _rx_search(ctx, t, rid, name)
        rx = ctx.cp.regex_any(rid, name) if m is not None and negated is not None else None
        while m is not None and rx is not None and negated is not None:
            if negated.search(t.norm, _clause_bounds(t.norm, *m.span())[0], m.start()) is None:
                break
            m = rx.search(t.norm, m.end())  # (denying the reproach, not making it; a later match may count)
        if m is not None:
            return m
    return None


def _listening_within(ctx: CallContext, t: TurnView, start: int, end: int) -> bool:
    """A listening phrase of any list inside ``start``..``end`` of the turn (read only where QA-07 has
    already found a reproach: a stated "you did not take it in" there is QA-10's matter)."""
    if t.hits.keys().isdisjoint(_LISTENING_TRIGGERS):
        return False
    for name in _LISTENING_LISTS:
        rx = ctx.cp.regex_any("QA-10", name)
        if rx is not None and rx.search(t.norm, start, end) is not None:
            return True
    return False


def detect_qa10(call: CallRecord, policy: Policy, ctx: CallContext) -> list[Finding]:
    rid = "QA-10"
    out: list[Finding] = []
    for t in ctx.agent_turns:
        # call-wide sets: their hits are in the turn's dict, so most turns cost one or two lookups
        hits = t.hits.get("QA-10:forbidden")
        if hits:
            h = min(hits)
            out.append(ctx.quote(t, *_clause_bounds(t.norm, h.start, h.end), rid, "forbidden listening phrase"))
            continue
        if t.hits.keys().isdisjoint(_LISTENING_TRIGGERS):
            continue
        m = _listening_paraphrase(ctx, t)
        if m:
            out.append(ctx.quote(t, *_clause_bounds(t.norm, *m.span()), rid, "forbidden listening phrase"))
    return out


# --------------------------------------------------------------------------------------------- QA-11
def _answer_kind(ctx: CallContext, t: TurnView) -> str:
    """'clear', 'ambiguous' or 'other' for a customer's answer.

    A yes word is an answer only where it stands as one: not negated (不好, 不太行, 没办), not
    another's words reported (我婆婆也说好) and not the first character of another word (好像,
    好多, 可以说); ``not_yes`` patterns read the clause before and the characters after the word."""
    rid = "QA-11"
    amb = ctx.hits(t, rid, "ambiguous")
    clear = [h for h in ctx.hits(t, rid, "clear_yes") if not any(a.start <= h.start < a.end for a in amb)]
    if clear:
        before, after = _not_yes_patterns(ctx)
        norm = t.norm
        for h in clear:
            cs = clause_start(norm, h.start)
            if before is not None and before.search(norm, cs, h.start):
                continue
            if after is not None and after.match(norm, h.end):
                continue
            return "clear"
    form = ctx.cp.regex_any(rid, "clear_yes_form") if "吧" in t.norm else None
    m = form.search(t.norm) if form is not None else None
    if m is not None and not any(a.start < m.end() and m.start() < a.end for a in amb):
        return "clear"  # 那就续一年吧: an acceptance in the sale's own verb
    return "ambiguous" if amb else "other"


def _not_yes_patterns(ctx: CallContext) -> tuple[re.Pattern[str] | None, re.Pattern[str] | None]:
    cached = ctx.cp.cache.get("QA-11:not_yes")
    if not isinstance(cached, tuple):
        cached = (ctx.cp.regex_any("QA-11", "not_yes_before"), ctx.cp.regex_any("QA-11", "not_yes_after"))
        ctx.cp.cache["QA-11:not_yes"] = cached
    plan: tuple[re.Pattern[str] | None, re.Pattern[str] | None] = cached  # set just above under this key
    return plan


# a statement of the sale closed by a tag particle (那我就给您报上了啊 / 给您安排上,做了哈): the agent asks the
# customer to go along with it, as a question would, rather than stating it done
def _asks_by_tag(ctx: CallContext, t: TurnView) -> bool:
    norm = t.norm
    if "了" not in norm[-5:]:
        return False  # (the tag follows 了 at the turn's end: most turns need no regex)
    rx = ctx.cp.regex_any("QA-11", "tag_ask")
    return rx is not None and rx.search(norm, len(norm) - 5) is not None


def _asks_consent(ctx: CallContext, t: TurnView) -> bool:
    """The agent proposes the sale and asks: a listed consent question, or in any wording a
    question (?) after the sale's verb (师傅周四上门安装,行吧阿姨? / 就这么给您订了,您看呢?) or after
    the agent's offer to act for the customer (那我给您…, 我帮您把…), whatever its verb."""
    rid = "QA-11"
    # the call-wide consent set and the "?" first: the sale's verbs are a lazy set (a scan of the turn)
    if ctx.has(t, rid, "consent_question") and ctx.has(t, rid, "sale_verb"):
        return True
    if _asks_by_tag(ctx, t) and (ctx.has(t, rid, "sale_verb") or "QA-11:completion_trigger" in t.hits):
        return True
    q = t.norm.rfind("?")
    if q == -1:
        return False
    if any(h.start < q for h in ctx.hits(t, rid, "sale_verb")):
        return True
    # the agent proposes to act for the customer in any verb (那我给您账户充三百…,行吧? / 我就直接给她续上…,
    # 好吗?): first person, then for whom, is the proposal's structure whatever the sale's verb
    if "我" not in t.norm[:q] and "您把" not in t.norm[:q] and "给您" not in t.norm[:q]:
        return False  # (the proposal is in the first person or does a thing for you: most questions need no regex)
    proposal = ctx.cp.regex_any(rid, "proposal")
    return proposal is not None and proposal.search(t.norm, 0, q) is not None


def _ends_with_completion(ctx: CallContext, t: TurnView) -> bool:
    """The turn's last clause states the sale done (…1149货到付款,周先生给您下单了): said last, it awaits a reply."""
    norm = t.norm.rstrip(" 。.!")
    last = clause_start(norm, len(norm))
    if any(h.start >= last for h in t.hits.get("QA-11:completion", ())):
        return True
    rx = ctx.cp.regex_any("QA-11", "completion")
    return rx is not None and rx.search(norm, last) is not None


def _answering_for_the_customer(ctx: CallContext, before: int) -> TurnView | None:
    """The customer turn, before turn index ``before``, in which whoever answered said they are
    someone else of the lead's (我是她老公 / 我是家里的保姆 / 我是她女儿), unless the number is theirs now
    (这个号现在是我在用) or they hand the phone to the lead (我去叫她 / 妈——电话!) before that index."""
    rid = "QA-11"
    proxy_rx = ctx.cp.regex_any(rid, "proxy_speaker")
    if proxy_rx is None:
        return None
    own = ctx.cp.regex_any(rid, "number_now_theirs")
    handover = ctx.cp.regex_any(rid, "handover")
    buys = ctx.cp.regex_any(rid, "proxy_buys")
    proxy: TurnView | None = None
    for t in ctx.customer_turns:
        if t.index >= before:
            break
        if proxy is None and "我是" in t.norm and proxy_rx.search(t.norm) and (own is None or not own.search(t.norm)):
            proxy = t
        if proxy is not None and handover is not None and handover.search(t.norm):
            proxy = None  # the lead comes to the phone
        if proxy is not None and buys is not None and buys.search(t.norm):
            proxy = None  # they buy in their own name (这个单子用我的名字下,货款我来付): the buyer's own yes
    return proxy


def detect_qa11(call: CallRecord, policy: Policy, ctx: CallContext) -> list[Finding]:
    rid = "QA-11"
    if call.disposition not in set(ctx.cp.param(rid, "dispositions", ["success"])):
        return []
    speech = ctx.speech

    past = ctx.cp.regex_any(rid, "completion_past")

    def now_done(t: TurnView, start: int, end: int) -> bool:
        """A completion said of this call's sale, not of something done before it (您的卡昨天已经激活了)."""
        cs, ce = _clause_bounds(t.norm, start, end)
        return past is None or past.search(t.norm, cs, ce) is None

    def completes(t: TurnView) -> bool:
        """The agent states the sale as done (not a question proposing it)."""
        if not t.is_agent:
            return False
        said = any(
            now_done(t, h.start, h.end) and not _NEGATED_BEFORE.search(t.norm, max(0, h.start - 2), h.start)
            for h in t.hits.get("QA-11:completion", ())  # a call-wide set (就不给您登记了: none done)
        )
        if not said and "QA-11:completion_trigger" in t.hits:
            m = _rx_search(ctx, t, rid, "completion")
            said = m is not None and now_done(t, *m.span())
        return (
            said
            and not ctx.has(t, rid, "consent_question")
            and not t.norm.rstrip().endswith("?")  # 给您下单了,明天装车,行不?: a proposal, asked
            and not _asks_by_tag(ctx, t)  # 那我就给您报上了啊: a proposal, asked by its tag
        )

    done = next(
        (
            k
            for k, t in enumerate(speech)
            if ("QA-11:completion" in t.hits or "QA-11:completion_trigger" in t.hits) and completes(t)
        ),
        len(speech),
    )
    if done + 1 < len(speech) and speech[done + 1].is_customer:
        # the customer says at once that what they agreed to was something else (啊?我是说加微信看视频……):
        # the sale rests on no yes to it, whatever was said before
        denied = ctx.cp.regex_any(rid, "consent_denied")
        c = speech[done + 1]
        m = denied.search(c.norm) if denied is not None else None
        if m is not None:
            said = "sale recorded though the customer says the yes was to something else"
            return [
                ctx.quote(
                    c, 0, len(c.text), rid, said, (ctx.evidence("completion", speech[done], 0, len(speech[done].text)),)
                )
            ]
    ask = None
    proposed_only = False  # the sale was proposed in a statement, not asked
    if done + 2 < len(speech) and speech[done + 1].is_customer and speech[done + 2].is_agent:
        # the agent says it again, as done, after the customer's reply (…,周先生给您下单了 / 嗯 / 好的已经下好了): the
        # first statement was put to the customer, and the reply is the answer the sale rests on
        again = speech[done + 2]
        if "已经" in again.norm and completes(again) and _ends_with_completion(ctx, speech[done]):
            ask, done = done, done + 2
    # the question the sale answers is looked for in the turns just before it (``consent_window_turns``):
    # a question many turns earlier is not what the sale rests on, and the look stays bounded
    window = int(ctx.cp.param(rid, "consent_window_turns", 12))
    for k in range(done - 1 if ask is None else -1, max(-1, done - 1 - window), -1):
        t = speech[k]
        if (
            t.is_agent
            and ("QA-11:consent_question" in t.hits or "?" in t.norm or _asks_by_tag(ctx, t))
            and _asks_consent(ctx, t)
        ):
            ask = k
            break
    if ask is None:
        # no consent question: the customer's answers to the agent's last proposal before the
        # completion, and with no completion stated there is nothing to read (no lazy look needed)
        if done >= len(speech):
            return []
        ask = next(
            (
                k
                for k in range(done - 1, max(-1, done - 1 - window), -1)
                if speech[k].is_agent and ctx.has(speech[k], rid, "sale_verb")
            ),
            None,
        )
        if ask is None:
            return _announced_sale(ctx, done, window)
        proposed_only = True
    # The customer's answers between the question and the sale: a clear yes among them is what the
    # sale rests on; only answers that are all ambiguous (嗯…, 哦) make it a sale on an ambiguous
    # answer. (Read in call order: after a question with no stated completion, the call runs on to
    # the goodbye, and a closing 谢谢啊,拜拜 is no answer to the question.)
    # A yes the customer then takes back (你先莫下单…, 算了算了,这次先不要了) before the sale is stated done,
    # with no yes after it, is no consent.
    withdrawn_rx = ctx.cp.regex_any(rid, "consent_withdrawn")
    ambiguous: TurnView | None = None
    yes: TurnView | None = None
    withdrawn: TurnView | None = None
    for k in range(ask + 1, done):
        t = speech[k]
        if not t.is_customer:
            continue
        if yes is not None:
            # after a yes, only a withdrawal counts (its words hold one of these characters)
            norm = t.norm
            if (
                withdrawn_rx is not None
                and ("不" in norm or "别" in norm or "莫" in norm or "甭" in norm or "取消" in norm)
                and withdrawn_rx.search(norm) is not None
            ):
                yes, withdrawn = None, t
            continue
        kind = _answer_kind(ctx, t)
        if kind == "other" and _echoes_choice(speech[ask], t):
            kind = "clear"  # 想不想报? -> 想!: the chosen half of the question is a yes
        if kind == "clear" and done < len(speech) and (proxy := _answering_for_the_customer(ctx, t.index)) is not None:
            # a clear yes, but from someone who is not the customer (the lead's husband, child or
            # housekeeper answering their phone): the sale rests on no yes of the customer's
            reason = "sale recorded on the word of someone who is not the customer"
            return [ctx.quote(t, 0, len(t.text), rid, reason, (ctx.evidence("speaker", proxy, 0, len(proxy.text)),))]
        if kind == "clear":
            yes, withdrawn = t, None
            continue
        if kind == "other" and not _CJK_RUN.search(t.norm):
            kind = "ambiguous"  # silence (……) is no answer either
        if kind == "ambiguous" and ambiguous is None and yes is None:
            ambiguous = t
    if withdrawn is not None:
        reason = "sale recorded though the customer took the yes back"
        return [ctx.quote(withdrawn, 0, len(withdrawn.text), rid, reason)]
    if yes is not None:
        return []
    if ambiguous is not None:
        return [
            ctx.quote(
                ambiguous,
                0,
                len(ambiguous.text),
                rid,
                "sale recorded on an ambiguous answer without asking again for a clear yes",
            )
        ]
    if proposed_only:
        return _announced_sale(ctx, done, window)
    return []


_CHOICE = re.compile(r"([一-龥])不\1")  # an A-not-A question (想不想, 要不要, 报不报)


def _echoes_choice(ask: TurnView, answer: TurnView) -> bool:
    """The customer answers an A-not-A question with its A (想不想报? -> 想!帮我报嘛): a yes."""
    said = answer.norm.lstrip(" ,.!?…")
    return bool(said) and any(
        said.startswith(m.group(1)) and not said.startswith(m.group(0)) for m in _CHOICE.finditer(ask.norm)
    )


def _announced_sale(ctx: CallContext, done: int, window: int) -> list[Finding]:
    """Nothing asked, and no yes to anything in the turns before the sale is stated done (那我先给您拉
    四十袋过去 … 单子我这边已经下好了): the sale was announced, not agreed. A customer who asked for it
    themselves (你给我拉四十袋过来) said a clear yes."""
    speech = ctx.speech
    before = [speech[k] for k in range(max(0, done - window), done) if speech[k].is_customer]
    for k in range(done + 1, len(speech) - 1):
        if speech[k].is_agent and _asks_consent(ctx, speech[k]) and speech[k + 1].is_customer:
            if _answer_kind(ctx, speech[k + 1]) == "clear":
                return []  # asked after all, later in the call, and agreed (给您确认一下…可以吗? / 要得)
    if before and not any(_answer_kind(ctx, c) == "clear" for c in before):
        reason = "sale stated done though the customer was never asked and said no yes"
        return [ctx.quote(speech[done], 0, len(speech[done].text), "QA-11", reason)]
    return []


# --------------------------------------------------------------------------------------------- QA-12
class _AgeRegexes:
    """QA-12 patterns combined once per policy; anchored patterns run over clauses joined by newlines."""

    def __init__(self, ctx: CallContext) -> None:
        rid = "QA-12"
        cp = ctx.cp

        trig = [
            cp.regex_any(rid, n) for n in ("age", "minor_words", "elderly_words", "elderly_relational", "birth_year")
        ]
        pats = [p.pattern for p in trig if p is not None]
        self.trigger = re.compile("|".join(f"(?:{p})" for p in pats), re.M) if pats else None
        # The same, run on the turn itself: a pattern anchored at a clause start (^) becomes
        # "not preceded by a clause character", which holds at the start and after a delimiter.
        flat = [
            _NAMED.sub("(?:", _CLAUSE_START + p.pattern[1:] if p.pattern.startswith("^") else p.pattern)
            for n in ("age", "minor_words", "elderly_words", "elderly_relational", "birth_year")
            for p in cp.regex(rid, n)
        ]
        self.prefilter = re.compile("|".join(f"(?:{p})" for p in flat)) if flat else None
        self.other_user = cp.regex_any(rid, "other_user")
        self.third = cp.regex_any(rid, "third_party_subject")
        selfp = cp.regex(rid, "self_subject")
        self.self_anchored = selfp[0] if selfp else None
        self.self_strong = selfp[1:]
        self.age = cp.regex(rid, "age")
        self.minor = cp.regex(rid, "minor_words")
        self.elderly = cp.regex(rid, "elderly_words")
        self.elderly_rel = cp.regex(rid, "elderly_relational")
        self.birth_year = cp.regex(rid, "birth_year")
        self.attributive = cp.regex_any(rid, "attributive_age")
        bare = cp.regex(rid, "bare_age")
        self.bare_age = bare[0] if bare else None  # keeps its (?P<n>…) group
        self.school_after = cp.regex_any(rid, "adult_school_after")
        self.school_before = cp.regex_any(rid, "adult_school_before")
        self.asked_self = cp.regex_any(rid, "age_question_self")
        self.asked_other = cp.regex_any(rid, "age_question_other")
        self.not_age = cp.regex_any(rid, "not_age_context")
        self.school_attributive = cp.regex_any(rid, "school_attributive")
        self.minor_other_before = cp.regex_any(rid, "minor_other_before")
        # nobody on the phone is a baby: an age below this is someone the speaker speaks of
        self.youngest = float(cp.param(rid, "min_speaker_age", 8))
        self.elderly_turn = cp.regex_any(rid, "elderly_turn")
        retired = cp.regex(rid, "retired_at")
        self.retired_at = retired[0] if retired else None  # keeps its (?P<r>…) and (?P<y>…) groups


_CLAUSE_START = "(?<![^,。!?;:、,.!?;:…—\\n ])"
_NAMED = re.compile(r"\(\?P<\w+>")


def _age_regexes(ctx: CallContext) -> _AgeRegexes:
    cached = ctx.cp.cache.get("QA-12:regexes")
    if not isinstance(cached, _AgeRegexes):
        cached = _AgeRegexes(ctx)
        ctx.cp.cache["QA-12:regexes"] = cached
    return cached


_YEAR_DIGITS = {c: str(i) for i, c in enumerate("零一二三四五六七八九")} | {"〇": "0"}


def _parse_year(raw: str, this_year: int, max_age: int) -> int | None:
    """A stated birth year; two digits are the latest century that gives a plausible age
    (五一年 = 1951, 一零年 = 2010 when 1910 would be over ``max_age``)."""
    digits = "".join(_YEAR_DIGITS.get(c, c) for c in raw)
    if not digits.isdigit():
        return None
    year = int(digits)
    if year >= 100:
        return year
    year += 1900
    return year + 100 if this_year - year > max_age and year + 100 <= this_year else year


def _asked_age_of(ctx: CallContext, t: TurnView | None) -> str | None:
    """Whose age the agent's turn just asked about: "self" (您今年多大年纪?), "other" (孩子几岁了?)
    or None; the customer's next answer is about that person."""
    if t is None or "QA-12:age_question_trigger" not in t.hits:  # a call-wide agent set
        return None
    rx = _age_regexes(ctx)
    if rx.asked_self is not None and rx.asked_self.search(t.norm):
        return "self"
    if rx.asked_other is not None and rx.asked_other.search(t.norm):
        return "other"
    return None


def _others_stages(ctx: CallContext, rx: _AgeRegexes, before: int) -> set[str]:
    """The school stages the customer has named as someone else's (a child named before it in the clause:
    我儿子高三了) in their turns before turn index ``before``."""
    out: set[str] = set()
    if rx.minor_other_before is None:
        return out
    for c in ctx.customer_turns:
        if c.index >= before:
            break
        for _, clause in clauses(c.norm):
            for p in rx.minor:
                for school in p.finditer(clause):
                    if rx.minor_other_before.search(clause, 0, school.start()):
                        out.add(school.group(0))
    return out


def rx_self_start(rx: _AgeRegexes, clause: str) -> bool:
    """The clause starts with the speaker (我今年七十三岁的人了)."""
    return rx.self_anchored is not None and rx.self_anchored.search(clause) is not None


def _adult_school(rx: _AgeRegexes, clause: str, start: int, end: int) -> bool:
    """A school word that describes an adult: an education level or past (初中文化, 高中毕业,
    上小学的时候), a workplace (在小学当老师), a place (高中旁边)."""
    return (rx.school_after is not None and rx.school_after.match(clause, end) is not None) or (
        rx.school_before is not None and rx.school_before.search(clause[:start]) is not None
    )


_QA12_AGE_TRIGGERS = frozenset({"QA-12:age_trigger", "QA-12:elderly_words_trigger"})


def _turns_matching(views: list[TurnView], rx: re.Pattern[str]) -> set[int]:
    """Indices (``TurnView.index``) of the turns in which ``rx`` matches, from one search over the
    turns joined by ``TURN_SEP`` instead of one per turn. Only for patterns that match within a
    turn: the separator counts as whitespace in a pattern, and no character class here admits it."""
    if not views:
        return set()
    starts: list[int] = []
    pos = 0
    for v in views:
        starts.append(pos)
        pos += len(v.norm) + 1
    joined = TURN_SEP.join(v.norm for v in views)
    return {views[bisect_right(starts, m.start()) - 1].index for m in rx.finditer(joined)}


def _someone_else_uses(ctx: CallContext, t: TurnView) -> bool:
    """The customer's turn says someone else uses the lead's number (我是他女儿,这号我在用)."""
    if "QA-12:other_user_trigger" not in t.hits:  # a call-wide customer set: one lookup
        return False
    rx = _age_regexes(ctx).other_user
    return rx is not None and rx.search("\n".join(c for _, c in clauses(t.norm))) is not None


def _age_statements(
    ctx: CallContext, t: TurnView, max_age: int, numeral: bool, asked_in: TurnView | None = None
) -> list[tuple[int, int, float]]:
    """Self-stated ages as (start, end, age) in one customer turn.

    ``asked_in`` is the agent's turn just before; whose age it asked about matters: an answer to a question about
    the child's or a parent's age is theirs, not the speaker's, until the speaker says 我; a bare
    number answering 您今年多大年纪? is the speaker's age. ``numeral`` says whether the turn holds a
    figure that may be an age (``_NUMERAL``, found for all the customer's turns at once)."""
    # call-wide customer sets: their hits are in the turn's dict (one lookup each)
    hits = t.hits
    if not (numeral or "QA-12:age_trigger" in hits or "QA-12:elderly_words_trigger" in hits):
        return []
    rx = _age_regexes(ctx)
    if rx.retired_at is not None and "休" in t.norm:
        # the age at retirement plus the years since (我六十岁退的休,到今年退了十三年了: 73)
        m = rx.retired_at.search(t.norm)
        if m is not None:
            retired, years = parse_number(m.group("r")), parse_number(m.group("y"))
            cs = clause_start(t.norm, m.start())
            if retired and years and (rx.third is None or rx.third.search(t.norm[cs : m.start()]) is None):
                return [(m.start(), m.end(), float(retired + years))]
    if (
        "QA-12:elderly_words_trigger" in hits
        and rx.elderly_turn is not None
        and ("退休" in t.norm or "退的休" in t.norm or "退了" in t.norm)
    ):
        # read over the whole turn, across a comma (我五十五退休的,到今年整整十八年了), unless the clause of
        # 退休 is about someone else (我爸退休都二十年了)
        m = rx.elderly_turn.search(t.norm)
        if m is not None:
            cs = clause_start(t.norm, m.start())
            if rx.third is None or rx.third.search(t.norm[cs : m.start()]) is None:
                return [(m.start(), m.end(), 80.0)]
    asked = _asked_age_of(ctx, asked_in)
    if asked != "self" and rx.prefilter is not None and rx.prefilter.search(t.norm) is None:
        return []
    parts = clauses(t.norm)
    joined = "\n".join(c for _, c in parts)
    if rx.trigger is None or not (rx.trigger.search(joined) or asked == "self"):
        return []
    ages: list[tuple[int, int, float]] = []
    # a school stage only suggests an age; an age the speaker states outright in the same turn
    # (后来上初中…现在都四十了) is the better witness, so school ages count only without one
    schooled: list[tuple[int, int, float]] = []
    adult_stages: set[str] = set()  # school stages the turn reads as an adult's (高中毕业)
    subject_self = asked != "other"
    this_year = ctx.local_placed.year
    later = ctx.cp.regex_any("QA-12", "age_later")
    for off, clause in parts:
        rel = _first_match(rx.elderly_rel, clause)
        if rel:
            ages.append((off + rel.start(), off + rel.end(), 80.0))
            continue
        if any(p.search(clause) for p in rx.self_strong):
            subject_self = True
        elif rx.third is not None and rx.third.search(clause):
            subject_self = False
            continue
        elif rx.self_anchored is not None and rx.self_anchored.search(clause):
            subject_self = True
        if not subject_self:
            continue
        if asked == "self" and rx.bare_age is not None:
            m = rx.bare_age.match(clause)
            if m:
                value = parse_number(m.group("n"))
                if value is not None and 0 < value <= max_age:
                    ages.append((off + m.start(), off + m.end(), value))
                    continue
        for p in rx.age:
            for m in p.finditer(clause):
                if rx.attributive is not None and rx.attributive.match(clause, m.end()):
                    if not rx_self_start(rx, clause) or clause.startswith("我们"):
                        # describes someone else (一个八岁的孩子; 我们小区七十多岁的老人很多), not the speaker
                        # (我一个七十多岁的老太婆)
                        continue
                if "岁" not in m.group(0) and rx.not_age is not None and rx.not_age.search(clause) is not None:
                    continue  # a figure in a clause about a price or a count (总共也就八十), not an age
                value = parse_number(m.group("n"))
                if "岁" not in m.group(0) and asked_in is not None and m.group("n") in asked_in.norm:
                    continue  # the agent's own figure echoed (每月七十九 -> 七十九就七十九): a price, not an age
                if value is not None and value >= 100 and "岁" not in m.group(0):
                    continue  # a hundred and more without 岁 is a count (在广东安家的也有一百多), not an age
                if value is not None and value >= 60 and "才" in clause[max(0, m.start() - 1) : m.start() + 1]:
                    continue  # 才 makes a figure small (我现在才九十九: a price), never an old age
                if value is not None and later is not None and later.search(clause, 0, m.start()) is not None:
                    value -= 1  # reached only later (明年就满七十了): one year younger now
                if value is not None and 0 < value <= max_age:
                    ages.append((off + m.start(), off + m.end(), value))
        for p in rx.birth_year:
            for m in p.finditer(clause):
                year = _parse_year(m.group("y"), this_year, max_age)
                if year is not None and 0 < this_year - year <= max_age:
                    ages.append((off + m.start(), off + m.end(), float(this_year - year)))
        for p in rx.minor:
            for school in p.finditer(clause):
                if _adult_school(rx, clause, school.start(), school.end()):
                    adult_stages.add(school.group(0))
                    continue
                if rx.minor_other_before is not None and rx.minor_other_before.search(clause, 0, school.start()):
                    continue  # a child named before it (怎么知道我家孩子上小学?): the child's school
                if rx.school_attributive is not None and rx.school_attributive.match(clause, school.end()):
                    if not rx_self_start(rx, clause):
                        continue  # describes a child or a course (五年级的孩子, 初中的课程), not the speaker
                if (
                    asked_in is not None
                    and asked != "self"
                    and school.group(0) in asked_in.norm
                    and not rx_self_start(rx, clause)
                ):
                    continue  # the stage the agent just offered, said back (初中物理… -> 初中的对高三有甚用): a course
                if not rx_self_start(rx, clause) and school.group(0) in _others_stages(ctx, rx, t.index):
                    continue  # a stage given as a child's before (我儿子高三了 … 对高三有甚用): still the child's
                schooled.append((off + school.start(), off + school.end(), 15.0))
                break
        for p in rx.elderly:
            hit = p.search(clause)
            if hit:
                ages.append((off + hit.start(), off + hit.end(), 80.0))
    # nobody on the phone is a baby: an age below ``min_speaker_age`` (有,快一岁了 answering 家里有小宝宝吗?)
    # is the age of someone the speaker speaks of
    if ages:
        ages = [a for a in ages if a[2] >= rx.youngest]
    if schooled and adult_stages:
        # the same stage read as the speaker's past elsewhere in the turn (高中,我高中毕业就出来打工了): a
        # bare 高中 answering "your highest education?" is that past too
        schooled = [x for x in schooled if t.norm[x[0] : x[1]] not in adult_stages]
    if schooled and _addressed_as_staff(ctx):
        schooled = []  # a teacher or a head of studies speaks of the school they work at (初二开物理)
    return ages or schooled


def _addressed_as_staff(ctx: CallContext) -> bool:
    """The agent addresses the customer by a staff title (肖老师您好, 曾主任): an adult at work."""
    memo = ctx.memo.setdefault("QA-12:staff", {})
    found = memo.get(0)
    if found is None:
        rx = ctx.cp.regex_any("QA-12", "customer_staff_address")
        found = memo[0] = [] if rx is None or not any(rx.search(a.norm) for a in ctx.agent_turns) else [(0, 0)]
    return bool(found)


def _pitches(ctx: CallContext, t: TurnView) -> bool:
    """The agent's turn markets something: a pitch word that is not denied (别的不用您买), not done
    before the call (您闺女给您买了), and not the act of someone else the agent speaks of (试纸一直是您闺女在给
    您买): a service call that sells nothing to the person on the phone holds such words too."""
    hits = ctx.hits(t, "QA-12", "pitch")
    if not hits:
        return False
    not_pitch = ctx.cp.regex_any("QA-12", "pitch_not_offered")
    if not_pitch is None:
        return True
    norm = t.norm
    for h in hits:
        cs, ce = _clause_bounds(norm, h.start, h.end)
        if not_pitch.search(norm[cs : h.start] + "\x00" + norm[h.end : ce]) is None:
            return True
    return False


def detect_qa12(call: CallRecord, policy: Policy, ctx: CallContext) -> list[Finding]:
    rid = "QA-12"
    cp = ctx.cp
    elderly_age = int(cp.param(rid, "elderly_age", 70))
    minor_age = int(cp.param(rid, "minor_age", 18))
    max_age = int(cp.param(rid, "max_plausible_age", 110))
    sold = call.disposition in set(cp.param(rid, "sale_dispositions", ["success"]))
    marketed = call.disposition in set(cp.param(rid, "marketing_dispositions", ["success"]))

    def at_risk(age: float) -> bool:
        return age >= elderly_age or age < minor_age

    stated: tuple[int, TurnView, int, int, float] | None = None  # first self-stated age
    last_agent: TurnView | None = None
    numeral_turns = _turns_matching(ctx.customer_turns, _NUMERAL)
    for k, t in enumerate(ctx.speech):
        if not t.is_customer:
            last_agent = t
            continue
        numeral = t.index in numeral_turns
        if not numeral and t.hits.keys().isdisjoint(_QA12_AGE_TRIGGERS):
            continue  # no figure and none of the age words: one look
        ages = _age_statements(ctx, t, max_age, numeral, last_agent)
        if ages:
            s, e, age = ages[0]
            stated = (k, t, s, e, age)
            break  # only the first stated age counts
    if stated is not None:
        k, t, s, e, age = stated
        if not at_risk(age):
            return []
        pitched_after = (
            any(
                x.is_agent
                and (_pitches(ctx, x) or _money_spans(ctx, x))
                and not ctx.has(x, rid, "withdrawal")  # 那我就不打扰您了,…报名时留错了: withdrawing, not pitching
                for x in ctx.speech[k + 1 :]
            )
            or any(  # pushed on against their refusals, in whatever words (我明天让设计师过来看一眼): QA-04's finding
                f.turn is not None and f.turn > t.index for f in detect_qa04(call, policy, ctx)
            )
        )
        by = call.lead.birth_year
        lead_at_risk = by is not None and at_risk(ctx.local_placed.year - by)
        if (
            pitched_after
            or sold
            or marketed
            # the lead's own birth year says the same: the pitches the agent went on with after the customer first
            # spoke, before the age was said (不去 … 我七十三了), were made to them (the opening's own words are not
            # counted: an agent who stops once the age is said has marketed nothing)
            or (
                lead_at_risk
                and ctx.customer_turns
                and any(_pitches(ctx, x) for x in ctx.agent_turns if ctx.customer_turns[0].index < x.index < t.index)
            )
        ):
            who = "elderly" if age >= elderly_age else "a minor"
            return [ctx.quote(t, s, e, rid, f"the person on the phone says they are {who}; the agent markets")]
        return []
    by = call.lead.birth_year
    if by is None:
        return []
    age = ctx.local_placed.year - by
    if not at_risk(age):
        return []
    if any(_someone_else_uses(ctx, t) for t in ctx.customer_turns):
        return []  # the lead's birth year is not the age of whoever uses the number now
    if sold or any(_pitches(ctx, x) for x in ctx.agent_turns):
        who = "elderly" if age >= elderly_age else "a minor"
        return [
            ctx.finding(
                rid,
                evidence=f"birth_year {by} (age {age} in {ctx.local_placed.year})",
                reason=f"the lead is {who}; marketing to them fails QA even when the sale succeeds",
            )
        ]
    return []


# --------------------------------------------------------------------------------------------- QA-13
def _hhmm(value: str) -> time:
    h, m = str(value).split(":")
    return time(int(h), int(m))


@lru_cache(maxsize=1024)
def _rest_day(day: date, country: str | None) -> str | None:
    """Why ``day`` is a rest day (the calendar lookup is slow, and calls come day after day), or None."""
    verdict = calling_day(day, country=country)
    return None if verdict.calling else verdict.describe(day)


def detect_qa13(call: CallRecord, policy: Policy, ctx: CallContext) -> list[Finding]:
    rid = "QA-13"
    windows = ctx.cp.cache.get("QA-13:windows")
    if not isinstance(windows, list):
        windows = [(_hhmm(a), _hhmm(b)) for a, b in ctx.cp.param(rid, "windows", [["09:00", "18:00"]])]
        ctx.cp.cache["QA-13:windows"] = windows
    local = ctx.local_placed
    if ctx.cp.param(rid, "working_days_only", False):
        # the platform's one calling-day rule (the calls guard and scheduling use it too): weekends and
        # public holidays are the customer's rest, a make-up working day (调休) is not
        why = _rest_day(local.date(), ctx.cp.param(rid, "calendar", "CN"))
        if why is not None:
            return [ctx.finding(rid, evidence=local.isoformat(), reason=f"dialled on a rest day: {why}")]
    now = local.time().replace(tzinfo=None)
    if any(a <= now < b for a, b in windows):
        return []
    spans = ", ".join(f"{a:%H:%M}-{b:%H:%M}" for a, b in windows)
    return [
        ctx.finding(
            rid,
            evidence=local.isoformat(),
            reason=f"dialled at {now:%H:%M} local time, outside the calling windows {spans}",
        )
    ]


# --------------------------------------------------------------------------------------------- QA-14
_GREETING = re.compile(r"[喂哎嗯啊您你好的呀,.!?;:、。 ]")


def _only_checks_who(ctx: CallContext, t: TurnView) -> bool:
    """The turn does nothing but greet and check who is on the line (您好,请问是邓女士吗?)."""
    hits = ctx.hits(t, "QA-14", "identity_check")
    if not hits:
        return _checks_by_name(ctx, t)
    h = min(hits)
    s, e = _clause_bounds(t.norm, h.start, h.end)
    rest = t.norm[:s] + t.norm[e:]
    # (a recogniser's pause between the name and the title: 请问是韩建国 韩先生吗 checks who all the same)
    return len(_TITLE_CHECK.sub("", _GREETING.sub("", rest))) <= 2


_TITLE_CHECK = re.compile(
    r"[一-龥]{1,2}(?:先生|女士|小姐|老板|师傅|老师|经理|总|大哥|大姐|阿姨|叔叔|大爷|厂长|主任|同学)(?:吗|吧|呀|啊)?"
)
_NAME_CHECK_REST = re.compile(r"[喂哎嗯啊您你好的呀是请问吗吧么,.!?;:、。 ]")


def _checks_by_name(ctx: CallContext, t: TurnView) -> bool:
    """The turn only greets and asks for the customer by name (喂,是韩建军吧? / 请问是王建国吗): a check of
    who is on the line (a bare full name is QA-01's matter)."""
    names = ctx.names
    if names is None or len(t.norm) > 16:
        return False
    for s, e in names.occurrences(t.norm):
        return len(_NAME_CHECK_REST.sub("", t.norm[:s] + t.norm[e:])) <= 1
    return False


def detect_qa14(call: CallRecord, policy: Policy, ctx: CallContext) -> list[Finding]:
    rid = "QA-14"
    cp = ctx.cp
    if not ctx.agent_turns:
        return []
    n = int(cp.param(rid, "opening_agent_turns", 2))
    opening: list[TurnView] = []  # agent turns before the customer asks who is calling
    purpose_turns: list[TurnView] = []
    request_raised = False
    asked = False
    opened = False  # an agent turn that is more than a check of who is on the line
    checks = 0  # opening turns that also check who is on the line (they do not count towards n)
    for t in ctx.speech:
        if len(purpose_turns) - checks >= n:
            break
        if t.is_agent:
            if not opening and _cut_greeting(t):
                continue  # (喂,您好—— cut off by the customer: the opening is the agent's next turn)
            if not asked:
                opening.append(t)
            if (ctx.has(t, rid, "identity_check") or _checks_by_name(ctx, t)) and not ctx.has(t, rid, "purpose"):
                # checks who is on the line; the opening proper starts after it (and a 哪位? answering a
                # bare 请问是邓女士吗? does not end it). A check with more in the turn (覃先生吗?我是…的小韦,
                # …我这边跟进一下) opens the call: a purpose in it, in any words, counts too, without
                # using up one of the opening's turns
                if _only_checks_who(ctx, t):
                    continue
                checks += 1
            opened = True
            purpose_turns.append(t)
        else:
            asked = (
                asked
                or (
                    opened
                    and (
                        ctx.has(t, rid, "identity_question")
                        # (a bare 你是 ends the turn: read its last few characters only)
                        or (
                            any(c in t.norm[-3:] for c in "是谁位")
                            and (end_q := cp.regex_any(rid, "identity_question_end")) is not None
                            and end_q.search(t.norm[-8:]) is not None
                        )
                    )
                )
            )
            request_raised = request_raised or ctx.has(t, rid, "customer_request")
    text = "\n".join(t.norm for t in opening)
    missing = _opening_missing(ctx, call, text, purpose_turns, request_raised)
    if not missing and _purpose_withheld(ctx):
        missing = ["purpose"]
    if missing:
        first = ctx.agent_turns[0]
        return [ctx.quote(first, 0, len(first.text), rid, f"opening does not give the agent's {' / '.join(missing)}")]
    # The phone passed to the lead (我让她接。老婆,电话! / 喂?): the agent's first words to the new voice open the
    # call again, and must say who calls and why as well
    handover = cp.regex_any("QA-11", "handover")
    hello = cp.regex_any(rid, "new_voice")
    customers = ctx.customer_turns[:_HANDOVER_WITHIN]
    for t, nxt in pairwise(customers):
        # two customer turns in a row (a hold may stand between them): the second may be a new voice
        if nxt.index - t.index > 2 or (nxt.index - t.index == 2 and type(call.turns[t.index + 1]) is SpeechTurn):
            continue
        if handover is None or hello is None or not handover.search(t.norm) or not hello.match(nxt.norm):
            continue  # (the one who answered comes back with a message, 她说让你晚点打: no new voice)
        a = next((x for x in ctx.agent_turns if x.index > nxt.index), None)
        if a is None:
            break
        missing = _opening_missing(ctx, call, a.norm, [a], False)
        if missing:
            said = f"after the phone is handed over, the agent does not give its {' / '.join(missing)}"
            return [ctx.quote(a, 0, len(a.text), rid, said)]
        break
    return _transfer_unnamed(ctx)


def _cut_greeting(t: TurnView) -> bool:
    """A bare greeting cut off by the customer (喂,您好——): no attempt at an opening yet."""
    norm = t.norm.rstrip()
    return len(norm) <= 10 and norm.endswith(("—", "…", "-"))


def _transfer_unnamed(ctx: CallContext) -> list[Finding]:
    """The agent hands the call to a colleague (我帮您转给我们的技术师傅) and the next agent voice, after
    the hold, does not say who it is (喂,你那个热水器是啥牌子的?): a new voice owes the customer its name."""
    rid = "QA-14"
    handover = ctx.cp.regex_any(rid, "agent_handover")
    if handover is None:
        return []
    agents = ctx.agent_turns
    for k in [k for k, a in enumerate(agents[:-1]) if "QA-14:agent_handover_trigger" in a.hits]:
        t, nxt = agents[k], agents[k + 1]
        if not handover.search(t.norm):
            continue
        if any(c.index < nxt.index for c in ctx.customer_turns if c.index > t.index):
            continue  # the customer spoke in between: the same agent goes on
        named = ctx.cp.regex_any(rid, "self_name")
        if named is None or named.search(nxt.norm) is None:
            said = "after the call is transferred, the new voice does not give its name"
            return [ctx.quote(nxt, 0, len(nxt.text), rid, said)]
    return []


def _purpose_withheld(ctx: CallContext) -> bool:
    """Early in the call the customer asks what it is about (有啥事?), no purpose has been said, and the
    agent's next words still do not say (…最近您家的沃柑下来了吧?): small talk in place of the purpose."""
    rid = "QA-14"
    rx = ctx.cp.regex_any(rid, "purpose")

    def states_purpose(a: TurnView) -> bool:
        return ctx.has(a, rid, "purpose") or (rx is not None and rx.search(a.norm) is not None)

    for c in ctx.customer_turns[:3]:
        if "QA-14:purpose_question" not in c.hits:  # a call-wide customer set
            continue
        if any(states_purpose(a) for a in ctx.agent_turns if a.index < c.index):
            return False  # the purpose was said; the customer asks again
        nxt = next((a for a in ctx.agent_turns if a.index > c.index), None)
        return nxt is not None and not states_purpose(nxt)
    return False


_HANDOVER_WITHIN = 5  # customer turns: the phone is handed over while the call is being opened


def _opening_missing(
    ctx: CallContext, call: CallRecord, text: str, purpose_turns: list[TurnView], request_raised: bool
) -> list[str]:
    """What an opening (``text``: its agent turns, joined) leaves out of name, company and purpose."""
    rid = "QA-14"
    cp = ctx.cp
    brands = [normalize(b) for b in (*call.campaign.authorized_brands, call.campaign.brand) if b]
    self_name = cp.regex_any(rid, "self_name")  # one search over the list's alternation
    if self_name is None:
        return ["name", "company", "purpose"]
    has_name = (
        self_name.search(text) is not None
        or any(
            # the brand then the agent's 小X with nothing between (青禾研学小严, / 良田农机小隋,)
            re.search(re.escape(b) + r"(?:的)?(?:小|老)[一-龥](?=[,,。!?!?]|$)", text)
            for b in brands
        )
        # the brand opening a clause stands where 我是 would (王总好,聚力拓展的卢凯,…): read it as 我是<brand>…
        or any(
            self_name.search("我是" + text[p:]) is not None
            for b in brands
            for p in _find_all(text, b)
            if p == 0 or text[p - 1] in CLAUSE_DELIMS or text[max(0, p - 3) : p] in ("这里是", "这边是")
        )
    )
    has_company = (
        any(b in text for b in brands)
        # a short form of an authorised name (its distinctive lead: 悠途 for 悠途旅行社)
        or any(len(core) >= 2 and core[:2] in text for core in (_org_core(ctx, b) for b in brands))
        or bool(_brand_index(ctx).find(text))
        or ((company := cp.regex_any(rid, "company")) is not None and company.search(text) is not None)
        # any organisation the agent presents as, under whatever name (我是国家开放大学包头招生办的老师白雪):
        # the agent has said who it is; presenting under a brand it may not use is QA-06's finding
        or ((intro := cp.regex_any("QA-06", "org_intro")) is not None and intro.search(text) is not None)
    )
    has_purpose = (
        request_raised
        or any(ctx.has(t, rid, "purpose") for t in purpose_turns)
        or any(rx.search(t.norm) for t in purpose_turns if (rx := cp.regex_any(rid, "purpose")) is not None)
    )
    return [w for w, ok in (("name", has_name), ("company", has_company), ("purpose", has_purpose)) if not ok]


# --------------------------------------------------------------------------------------------- QA-15
def _hold_reason_given(ctx: CallContext, t: TurnView | None) -> bool:
    """The agent said why before the hold: in any wording, what the agent is going to do meanwhile
    (我去把您的记录调出来, 我跟同事对一对), or a listed reason word (查, 核实, 系统 …) in the sentence that
    asks the customer to wait (a 记录 two sentences before 您等一下 is no reason for it)."""
    rid = "QA-15"
    if t is None:
        return False
    if _rx_search(ctx, t, rid, "reason_action") is not None:
        return True
    reasons = ctx.hits(t, rid, "reason")
    if not reasons:
        return False
    waits = list(_pattern(ctx, rid, "wait_word").finditer(t.norm))
    if not waits:
        return True
    wait = waits[-1]  # the last request to wait
    s, e = _sentence_bounds(t.norm, wait.start(), wait.end())
    return any(s <= h.start < e for h in reasons)


def _turn_index(t: TurnView) -> int:
    return t.index


def _customer_waits(ctx: CallContext, t: TurnView) -> bool:
    """The customer's turn asks to wait (a call-wide set), and the wait is not over by its end (…说完了,你说吧)."""
    hits = t.hits.get("QA-15:customer_asks_wait")
    if not hits:
        return False
    over = ctx.cp.regex_any("QA-15", "customer_wait_over")
    return over is None or over.search(t.norm, max(h.end for h in hits)) is None


def detect_qa15(call: CallRecord, policy: Policy, ctx: CallContext) -> list[Finding]:
    """A hold over ``max_hold_s``, or one the agent did not announce with a reason. A hold the
    customer asked for (their last words before it: 您等一下,我去拿身份证) is not the agent's."""
    rid = "QA-15"
    max_hold = float(ctx.cp.param(rid, "max_hold_s", 60))
    out: list[Finding] = []
    agents = ctx.agent_turns
    speech = ctx.speech
    j = 0
    last_agent: TurnView | None = None
    for hold in ctx.holds:  # both lists are in turn order: one merge pass
        while j < len(agents) and agents[j].index < hold.index:
            last_agent = agents[j]
            j += 1
        k = bisect_left(speech, hold.index, key=_turn_index)
        before = speech[k - 1] if k else None
        if before is not None and before.is_customer and _customer_waits(ctx, before):
            continue  # the customer put the call aside (a call-wide set): the agent kept no one waiting
        asked = speech[k - 2] if k > 1 else None
        if (
            before is not None
            and asked is not None
            and asked.is_customer
            and _customer_waits(ctx, asked)
            and not _hold_reason_given(ctx, before)
        ):
            continue  # the customer asked to wait and the agent only acknowledged it (好的,您慢慢找)
        if hold.duration_s > max_hold:
            reason = f"hold of {hold.duration_s:.0f} s, over {max_hold:.0f} s"
        elif not _hold_reason_given(ctx, last_agent):
            reason = f"hold of {hold.duration_s:.0f} s without a reason given just before"
        else:
            continue
        out.append(ctx.finding(rid, turn=hold, evidence=f"hold {hold.start_s:.1f}-{hold.end_s:.1f} s", reason=reason))
    return out


DETECTORS: dict[str, Detector] = {
    "QA-01": detect_qa01,
    "QA-02": detect_qa02,
    "QA-03a": detect_qa03a,
    "QA-03b": detect_qa03b,
    "QA-04": detect_qa04,
    "QA-05": detect_qa05,
    "QA-06": detect_qa06,
    "QA-07": detect_qa07,
    "QA-08": detect_qa08,
    "QA-09": detect_qa09,
    "QA-10": detect_qa10,
    "QA-11": detect_qa11,
    "QA-12": detect_qa12,
    "QA-13": detect_qa13,
    "QA-14": detect_qa14,
    "QA-15": detect_qa15,
}

"""Text helpers: punctuation normalisation, clause splitting and Chinese numerals."""

from __future__ import annotations

import re

# Number tokens used inside policy patterns ({NUM}, {NUM_BIG}).
_CN_DIGIT = "零〇一二两三四五六七八九"
_CN_ALL = "零〇一二两三四五六七八九十百千万亿"
NUM_AR = r"[0-9０-９]+(?:[.．][0-9０-９]+)?[万千百]?"
NUM_CN = rf"[{_CN_DIGIT}十][{_CN_ALL}]*(?:点[{_CN_DIGIT}]+)?"
NUM = rf"(?:{NUM_AR}|{NUM_CN})"
NUM_BIG = rf"(?:[0-9０-９]{{4,}}|[0-9０-９]+(?:[.．][0-9０-９]+)?[万千]|[{_CN_ALL}]*[千万][{_CN_ALL}]*)"

# a number that cannot be a lone Chinese digit (一 in 一般 / 一下 is not a figure)
NUM2 = rf"(?:{NUM_AR}|[{_CN_DIGIT}十][{_CN_ALL}]+(?:点[{_CN_DIGIT}]+)?|十)"

PATTERN_TOKENS = {"{NUM_BIG}": NUM_BIG, "{NUM2}": NUM2, "{NUM}": NUM}


def expand_tokens(pattern: str) -> str:
    for token, value in PATTERN_TOKENS.items():
        pattern = pattern.replace(token, value)
    return pattern


# Full-width punctuation -> ASCII, one char for one char so indices stay valid.
_PUNCT = (("\uff0c", ","), ("\uff1f", "?"), ("\uff01", "!"), ("\uff1b", ";"), ("\uff1a", ":"),
          ("\uff08", "("), ("\uff09", ")"))  # fmt: skip


# A speech recogniser's transcript marks pauses with spaces, not punctuation (喂 您好 雷先生吗 我千寻光网客服小郑啊):
# a space beside a Chinese character is read as the comma it stands for, and after 吗 (or a clause asking in its
# own words, 那还学啥乐器呀) as the question mark,
# so clauses, sentences and questions are found the same way in punctuated and unpunctuated transcripts.
_PAUSE = re.compile(r"(?<=[\u3400-\u9fff])[ \u3000]|[ \u3000](?=[\u3400-\u9fff])")


# a clause asking by its own words: a question word, then a question particle ending it (那还学啥乐器呀, 您图个啥呢)
_ASKED_CLAUSE = re.compile(
    r"(?:啥|什么|怎么|咋|哪|谁|几|多少|凭什么|干嘛|是不是|是唔是|系唔系)[^ \u3000,。!?;]{0,16}[呀啊呢嘛哪]$"
    r"|(?:过|了)[^ \u3000,。!?;]{0,8}没有?[啊呀呢]$"  # (您吃过好蓝莓没有啊: V-ed or not)
)


def _pause(m: re.Match[str]) -> str:
    start = m.start()
    last = m.string[start - 1 : start]
    if last in _ASKING_ENDS:  # (most pauses follow another character: one look)
        if last == "吗" or last == "咩":  # (Cantonese 咩 asks as 吗 does: 您估佢会自己好返咩)
            return "?"
        clause = m.string[max(0, start - 24) : start].rpartition(" ")[2].rpartition("\u3000")[2]
        if _ASKED_CLAUSE.search(clause) is not None:
            return "?"  # (the same pause after a clause that asks in its own words: 那还学啥乐器呀 …)
    return ","


_ASKING_ENDS = frozenset("吗咩呀啊呢嘛哪")


# Cantonese written as spoken (我系泡泡芽嘅小麦, 打嚟提您一声): characters only Cantonese writes, read as
# the Mandarin word they stand for, one for one, so the readings written in Mandarin apply; 系 only where
# it is the copula (我系, 系唔系: 关系 and 系统 stay), and 唔 only before a word (a bare 唔 is an "mm" answer:
# _NOT_VERB). Not mapped: 啲, 咁, 边, whose Mandarin reading depends on the context.
_CANTONESE = (
    ("嘅", "的"),
    ("咗", "了"),
    ("哋", "们"),
    ("喺", "在"),
    ("佢", "他"),
    ("嚟", "来"),
    ("睇", "看"),
    ("冇", "没"),
)
_CANTONESE_ANY = re.compile("[嘅咗哋喺佢嚟睇冇系唔]")  # one fast scan on every call: most texts have none
_COPULA_BEFORE = frozenset("我你他她佢唔哋都就也")  # (都系, 就系: 都是, 就是)
_NOT_COPULA_AFTER = frozenset("统列数好上着紧")  # 系统, 系列, 系数, 系好, 系上: Mandarin words
_COPULA_AFTER = ("唔系", "咪", "呀", "啊", "喇")
# 唔 before a word is 不 (唔会再打扰您, 唔要, 唔使, 唔装): a bare 唔 (an "mm", said alone) stays
_NOT_VERB = re.compile("唔(?=[一-龥])(?!该)")  # 唔 before a word is 不 (唔该 is "thank you": kept)
_NOT_WORDS = (("好唔好", "好不好"), ("唔好意思", "不好意思"), ("唔好", "不要"), ("唔使", "不用"))  # "don't", "no need"


def _cantonese(text: str) -> str:
    """Cantonese characters read as the Mandarin ones they stand for; 系 only as the copula."""
    pos = text.find("系")
    if pos != -1:
        chars: list[str] | None = None
        while pos != -1:
            nxt = text[pos + 1 : pos + 2]
            if (pos > 0 and text[pos - 1] in _COPULA_BEFORE and nxt not in _NOT_COPULA_AFTER) or text.startswith(
                _COPULA_AFTER, pos + 1
            ):
                chars = chars if chars is not None else list(text)
                chars[pos] = "是"
            pos = text.find("系", pos + 1)
        if chars is not None:
            text = "".join(chars)
    for cantonese, mandarin in _CANTONESE:
        if cantonese in text:
            text = text.replace(cantonese, mandarin)
    if "唔" in text:
        for cantonese, mandarin in _NOT_WORDS:
            if cantonese in text:
                text = text.replace(cantonese, mandarin)
        text = _NOT_VERB.sub("不", text)
    return text


# Other dialects written as spoken, read as the Mandarin they stand for, one character for one: northern 俺 我,
# south-western 一哈 一下, Wu 侬 你 and 阿拉 我们, Wu, Gan and Min 勿 / 毋 / 伓 不, 毋免 不用, 冇要 / 无爱 不要,
# and Wu 伐 ending a clause as the question's 吗 (对伐?).
# one character-class scan finds every text that may hold one (a two-character word by its rarer character: 阿拉 by
# 拉, 冇要 by 冇, 无爱 by 爱, 一哈 by 哈); an alternation of words would scan far slower
_DIALECT_CHARS = re.compile("[俺侬勿毋伓伐冇拉爱哈]")
_DIALECT_WORDS = (
    ("俺", "我"),
    ("一哈", "一下"),
    ("毋免", "不用"),
    ("冇要", "不要"),
    ("无爱", "不要"),
    ("阿拉", "我们"),
    ("侬", "你"),
    ("勿", "不"),
    ("毋", "不"),
    ("伓", "不"),
)
_WU_QUESTION = re.compile("伐(?=[,.!?;。 \n\x1f]|$)")  # (\x1f: the turn separator of a whole call normalised at once)


def _dialect(text: str) -> str:
    for spoken, mandarin in _DIALECT_WORDS:
        if spoken in text:
            text = text.replace(spoken, mandarin)
    return _WU_QUESTION.sub("吗", text) if "伐" in text else text


def normalize(text: str) -> str:
    """Same length as ``text``: full-width , ? ! ; : ( ) mapped to ASCII for uniform matching, a
    pause (a space beside a Chinese character) to a comma, or a question mark after 吗, northern 俺
    to 我 (俺们是雷沃的 is 我们是…: the readings written with 我 apply), south-western 一哈 to 一下, Wu, Gan
    and Min words to theirs (侬 你, 勿 不, 伐 吗), and Cantonese characters to the Mandarin ones they stand for."""
    for wide, narrow in _PUNCT:
        if wide in text:
            text = text.replace(wide, narrow)
    if _DIALECT_CHARS.search(text) is not None:  # (most texts: none)
        text = _dialect(text)
    if " " in text or "\u3000" in text:
        text = _PAUSE.sub(_pause, text)
    if _CANTONESE_ANY.search(text) is not None:
        text = _cantonese(text)
    return text


CLAUSE_DELIMS = frozenset(",。!?;:、,.!?;:…—\n ")
_CLAUSE_RE = re.compile(r"[^,。!?;:、,.!?;:…—\n ]+")


def clauses(text: str) -> list[tuple[int, str]]:
    """Split into clauses; returns (start offset, clause text)."""
    return [(m.start(), m.group(0)) for m in _CLAUSE_RE.finditer(text)]


def clause_start(text: str, pos: int) -> int:
    """Offset of the start of the clause containing ``pos``."""
    i = pos
    while i > 0 and text[i - 1] not in CLAUSE_DELIMS:
        i -= 1
    return i


_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_UNITS = {"十": 10, "百": 100, "千": 1000}
_BIG = {"万": 10_000, "亿": 100_000_000}
_FW = str.maketrans("０１２３４５６７８９．", "0123456789.")


def _section(s: str) -> float:
    total = 0.0
    digit: int | None = None
    last_unit = 1
    for ch in s:
        if ch in _DIGITS:
            digit = _DIGITS[ch]
        elif ch in _UNITS:
            unit = _UNITS[ch]
            total += (1 if digit is None else digit) * unit
            digit = None
            last_unit = unit
    if digit is not None:
        # colloquial tail: 三千六 = 3600, 一百二 = 120; after 十 (or none) it is a plain unit digit
        total += digit * (last_unit // 10 if last_unit >= 100 else 1)
    return total


def parse_number(token: str) -> float | None:
    """Parse arabic or Chinese numerals: '七十四' -> 74, '一万八千五' -> 18500, '3.5万' -> 35000."""
    t = token.translate(_FW).strip()
    if not t:
        return None
    mult = 1.0
    if t[-1] in "万千百" and t[:-1].replace(".", "", 1).isdigit():
        mult = {"万": 10_000.0, "千": 1000.0, "百": 100.0}[t[-1]]
        t = t[:-1]
    try:
        return float(t) * mult
    except ValueError:
        pass
    frac = 0.0
    if "点" in t:
        t, _, dec = t.partition("点")
        digits = "".join(str(_DIGITS.get(c, "")) for c in dec)
        frac = float("0." + digits) if digits else 0.0
    if any(c not in _DIGITS and c not in _UNITS and c not in _BIG for c in t):
        return None
    total = 0.0
    rest = t
    for big_ch in ("亿", "万"):
        if big_ch in rest:
            head, _, rest = rest.partition(big_ch)
            total += _section(head or "一") * _BIG[big_ch]
            if rest and len(rest) == 1 and rest in _DIGITS:
                # 一万八 = 18000
                return total + _DIGITS[rest] * _BIG[big_ch] / 10 + frac
    return total + _section(rest) + frac


_QUOTE_PAIRS = {"\u201c": "\u201d", "\u300c": "\u300d", "\u300e": "\u300f", '"': '"', "\u2018": "\u2019", "'": "'"}


def quoted_spans(text: str) -> list[tuple[int, int]]:
    """Spans of text inside quotation marks (“…”, 「…」, 『…』, "…", ‘…’, '…'), marks excluded: words quoted
    or read out, not said in the speaker's own voice. An unclosed mark quotes nothing."""
    if not any(q in text for q in _QUOTE_PAIRS):
        return []
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(text):
        close = _QUOTE_PAIRS.get(text[i])
        if close is not None:
            j = text.find(close, i + 1)
            if j == -1:
                break
            spans.append((i + 1, j))
            i = j + 1
        else:
            i += 1
    return spans

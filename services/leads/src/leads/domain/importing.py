"""Import rules, without I/O: which column is which field, what a row becomes, how a file's text
encoding is recognised.

Call centres' files have Chinese headers (姓名, 电话/手机/联系电话, 地区, 行业, 来源, 规模, 标签,
出生年份 …), come from Excel or from a CSV saved by Excel in GBK, and are often messy: phone
numbers typed as numbers, several numbers in one cell, a header with a trailing space.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from common.events.leads import LeadProfile

from leads.domain.phones import (
    DEFAULT_REGION,
    DEFAULT_TIMEZONE,
    InvalidNumber,
    NormalisedNumber,
    NumberKind,
    cell_to_text,
    normalise,
)

# field -> header spellings (compared after normalising case, spaces and punctuation)
HEADER_SYNONYMS: dict[str, tuple[str, ...]] = {
    "name": (
        "姓名",
        "客户姓名",
        "客户名称",
        "客户名",
        "联系人",
        "联系人姓名",
        "名字",
        "name",
        "fullname",
        "customername",
        "customer",
    ),
    "phone": (
        "电话",
        "手机",
        "手机号",
        "手机号码",
        "联系电话",
        "电话号码",
        "联系方式",
        "移动电话",
        "号码",
        "phone",
        "mobile",
        "mobilephone",
        "tel",
        "telephone",
        "phonenumber",
    ),
    "office_phone": (
        "办公电话",
        "单位电话",
        "公司电话",
        "座机",
        "座机号码",
        "固定电话",
        "officephone",
        "office",
    ),
    "home_phone": ("家庭电话", "住宅电话", "家里电话", "宅电", "homephone", "home"),
    "region": (
        "地区",
        "区域",
        "城市",
        "省份",
        "所在地",
        "所在地区",
        "地域",
        "region",
        "city",
        "province",
        "area",
    ),
    "industry": ("行业", "所属行业", "行业类别", "industry"),
    "source": ("来源", "客户来源", "渠道", "来源渠道", "source", "channel"),
    "size": ("规模", "企业规模", "公司规模", "人数", "员工人数", "size", "companysize"),
    "tags": ("标签", "客户标签", "tags", "tag", "labels"),
    "birth_year": (
        "出生年份",
        "出生年",
        "出生年月",
        "出生日期",
        "生日",
        "birthyear",
        "birthdate",
        "birthday",
    ),
    "owner_agent_id": (
        "坐席",
        "坐席工号",
        "归属坐席",
        "负责人",
        "销售顾问",
        "owner",
        "owneragent",
        "agent",
        "agentid",
    ),
    "owner_team_id": ("团队", "小组", "组别", "所属团队", "team", "teamid"),
    "timezone": ("时区", "timezone", "tz"),
    "referred_by_lead_id": ("推荐人编号", "推荐客户编号", "referredby", "referredbyleadid", "referrer"),
}
PHONE_FIELDS: dict[str, NumberKind | None] = {"phone": None, "office_phone": "office", "home_phone": "home"}

_HEADER_NOISE = re.compile(r"[\s_\-:：*（）()\[\]【】/]+")
_NUMBER_SPLIT = re.compile(r"[,，;；/、|\n]+")
_TAG_SPLIT = re.compile(r"[,，;；、|/\s]+")
_YEAR = re.compile(r"(19|20)\d{2}")

MAX_NAME = 100


def _normalise_header(header: object) -> str:
    text = cell_to_text(header).lstrip("\ufeff").lower()
    return _HEADER_NOISE.sub("", text)


_LOOKUP = {_normalise_header(s): f for f, spellings in HEADER_SYNONYMS.items() for s in spellings}


@dataclass(frozen=True, slots=True)
class ColumnMap:
    """Which column index holds which field; columns nobody recognised are reported."""

    fields: dict[str, int]
    unmapped: list[str]

    def missing_required(self) -> list[str]:
        missing = []
        if "name" not in self.fields:
            missing.append("name (姓名)")
        if not any(f in self.fields for f in PHONE_FIELDS):
            missing.append("phone (电话)")
        return missing


def map_columns(headers: Sequence[object]) -> ColumnMap:
    fields: dict[str, int] = {}
    unmapped: list[str] = []
    for index, header in enumerate(headers):
        key = _normalise_header(header)
        if not key:
            continue
        field_name = _LOOKUP.get(key)
        if field_name is None:
            # "客户电话", "手机号1": a known spelling inside a longer header
            field_name = next(
                (
                    f
                    for s, f in sorted(_LOOKUP.items(), key=lambda i: -len(i[0]))
                    if len(s) >= 2 and s in key and not s.isascii()
                ),
                None,
            )
        if field_name is None or field_name in fields:
            unmapped.append(cell_to_text(header))
            continue
        fields[field_name] = index
    return ColumnMap(fields, unmapped)


@dataclass(frozen=True, slots=True)
class DraftNumber:
    number: NormalisedNumber
    kind: NumberKind


@dataclass(frozen=True, slots=True)
class LeadDraft:
    """A lead as a row or an API request describes it, validated and normalised."""

    name: str
    numbers: tuple[DraftNumber, ...]
    profile: LeadProfile
    owner_agent_id: str | None = None
    owner_team_id: str | None = None
    warnings: tuple[str, ...] = ()
    given: frozenset[str] = field(default_factory=frozenset)  # profile fields the source set

    def fingerprint(self) -> str:
        """Same content, same fingerprint: how a re-run import recognises a row it applied."""
        payload = {
            "name": self.name,
            "numbers": sorted((n.number.e164, n.kind) for n in self.numbers),
            "profile": self.profile.model_dump(mode="json"),
            "owner": [self.owner_agent_id, self.owner_team_id],
        }
        return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


class RowRejected(ValueError):
    pass


def normalise_name(raw: object) -> str:
    name = " ".join(cell_to_text(raw).split())
    if not name:
        raise RowRejected("missing name")
    if len(name) > MAX_NAME:
        raise RowRejected(f"name longer than {MAX_NAME} characters")
    if not any(ch.isalpha() for ch in name):
        raise RowRejected("name has no letters")
    return name


def parse_birth_year(raw: object) -> int | None:
    if raw is None or raw == "":
        return None
    if hasattr(raw, "year"):  # a date cell
        return int(raw.year)
    match = _YEAR.search(cell_to_text(raw))
    if not match:
        raise RowRejected(f"birth_year: not a year ({cell_to_text(raw)[:20]})")
    return int(match.group(0))


def parse_numbers(
    cells: dict[str, object], default_region: str = DEFAULT_REGION, default_timezone: str = DEFAULT_TIMEZONE
) -> tuple[list[DraftNumber], list[str]]:
    """Every number of the row (a cell may hold several), each normalised; the reasons of those
    that were not numbers."""
    numbers: list[DraftNumber] = []
    problems: list[str] = []
    seen: set[str] = set()
    for field_name, kind in PHONE_FIELDS.items():
        text = cell_to_text(cells.get(field_name))
        if not text:
            continue
        for part in _NUMBER_SPLIT.split(text):
            if not part.strip():
                continue
            try:
                number = normalise(part, default_region, default_timezone)
            except InvalidNumber as exc:
                problems.append(f"{field_name}: {exc}")
                continue
            if number.e164 in seen:
                continue
            seen.add(number.e164)
            numbers.append(DraftNumber(number, kind or ("mobile" if number.is_mobile else "office")))
    return numbers, problems


def draft_from_cells(
    cells: dict[str, object],
    *,
    default_source: str | None = None,
    default_region: str = DEFAULT_REGION,
    default_timezone: str = DEFAULT_TIMEZONE,
    default_owner_agent_id: str | None = None,
    default_owner_team_id: str | None = None,
) -> LeadDraft:
    """One row (field -> cell) as a lead draft. Raises ``RowRejected`` with the reason."""
    name = normalise_name(cells.get("name"))
    numbers, problems = parse_numbers(cells, default_region, default_timezone)
    if not numbers:
        raise RowRejected("; ".join(problems) if problems else "missing phone number")
    tags = [t for t in _TAG_SPLIT.split(cell_to_text(cells.get("tags"))) if t]
    primary = numbers[0].number
    given = {
        f
        for f in ("industry", "region", "size", "source", "timezone", "birth_year", "referred_by_lead_id")
        if cell_to_text(cells.get(f))
    }
    region = cell_to_text(cells.get("region")) or primary.province
    source = cell_to_text(cells.get("source")) or default_source
    timezone_name = cell_to_text(cells.get("timezone")) or primary.timezone
    profile = LeadProfile(
        industry=cell_to_text(cells.get("industry")) or None,
        region=region or None,
        size=cell_to_text(cells.get("size")) or None,
        source=source or None,
        tags=tags,
        timezone=timezone_name,
        birth_year=parse_birth_year(cells.get("birth_year")),
        referred_by_lead_id=cell_to_text(cells.get("referred_by_lead_id")) or None,
    )
    return LeadDraft(
        name=name,
        numbers=tuple(numbers),
        profile=profile,
        owner_agent_id=cell_to_text(cells.get("owner_agent_id")) or default_owner_agent_id,
        owner_team_id=cell_to_text(cells.get("owner_team_id")) or default_owner_team_id,
        warnings=tuple(problems),
        given=frozenset(given),
    )


def row_cells(values: Sequence[object], columns: ColumnMap) -> dict[str, object]:
    return {f: (values[i] if i < len(values) else None) for f, i in columns.fields.items()}


def is_blank(values: Sequence[object]) -> bool:
    return all(cell_to_text(v) == "" for v in values)


# --- text encoding -------------------------------------------------------------------------


class UnreadableFile(ValueError):
    pass


def _decodes(sample: bytes, encoding: str, *, complete: bool) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        decoder.decode(sample, final=complete)
    except UnicodeDecodeError:
        return False
    return True


def detect_encoding(sample: bytes, *, complete: bool = False) -> str:
    """The encoding of a CSV from its first bytes: a BOM says it; else UTF-8 if the bytes are
    valid UTF-8 (ASCII included); else GB18030 (a superset of GBK and GB2312, what Chinese Excel
    writes) if they decode as that; else charset-normalizer's guess. ``complete``: the sample is
    the whole file (a multi-byte character may not be cut at its end)."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if _decodes(sample, "utf-8", complete=complete):
        return "utf-8"
    if _decodes(sample, "gb18030", complete=complete):
        return "gb18030"
    from charset_normalizer import from_bytes

    best = from_bytes(sample).best()
    if best is None:
        raise UnreadableFile("cannot tell the file's text encoding (save it as UTF-8 or GBK CSV, or XLSX)")
    return str(best.encoding)

"""The QA rule catalogue as data (``qa/policy/qa-policy.yaml``) and its compiled form."""

from __future__ import annotations

import re
from collections import defaultdict
from functools import partial
from importlib import resources
from pathlib import Path
from typing import Any, Literal, NamedTuple

import ahocorasick_rs
import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from qa.rules.textutil import expand_tokens, normalize

RULE_IDS: tuple[str, ...] = (
    "QA-01", "QA-02", "QA-03a", "QA-03b", "QA-04", "QA-05", "QA-06", "QA-07",
    "QA-08", "QA-09", "QA-10", "QA-11", "QA-12", "QA-13", "QA-14", "QA-15",
)  # fmt: skip

EXCEPT_SUFFIX = "_except"
BRAND_KEY = "QA-06:brand"  # hits of the brand catalogue (QA-06 params.brands, canonical names and aliases)
# a numbered backreference (\\1) not itself escaped: shifted when patterns are joined into one alternation
_BACKREF = re.compile(r"((?:^|[^\\])(?:\\\\)*)\\([1-9][0-9]?)")


def _shift_backref(m: re.Match[str], by: int) -> str:
    return f"{m.group(1)}\\{int(m.group(2)) + by}"


_NAMED_GROUP = re.compile(r"\(\?P<\w+>")


class PolicyError(ValueError):
    """The policy file is malformed."""


def _str_list(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError("expected a list")
    return [str(v) for v in value]


class RuleSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str
    severity: str
    fine_agent: int = 0
    fine_supervisor: int = 0
    penalty: str = ""
    enabled: bool = True
    campaigns: list[str] | None = None
    phrases: dict[str, list[str]] = Field(default_factory=dict)
    patterns: dict[str, list[str]] = Field(default_factory=dict)
    params: dict[str, Any] = Field(default_factory=dict)

    @field_validator("phrases", "patterns", mode="before")
    @classmethod
    def _coerce_lists(cls, value: Any) -> dict[str, list[str]]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise ValueError("expected a mapping of name -> list")
        return {str(k): _str_list(v) for k, v in value.items()}

    def applies_to(self, campaign_id: str) -> bool:
        return self.enabled and (not self.campaigns or campaign_id in self.campaigns)


class SamplingSpec(BaseModel):
    """Inspectors' random sampling (抽查录音): a share of each agent's connected calls per period,
    at least ``min_per_period``, a higher share in an agent's first ``new_agent_weeks`` weeks."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    period: Literal["day", "week", "month"] = "week"
    share: float = Field(default=0.05, ge=0.0, le=1.0)
    min_per_period: int = Field(default=2, ge=0)
    new_agent_share: float = Field(default=0.2, ge=0.0, le=1.0)
    new_agent_weeks: int = Field(default=4, ge=0)


class ComplaintKind(BaseModel):
    """A kind of customer complaint and its deduction for the marketing team (domain section 4)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str
    deduction: int = Field(ge=0)


def _default_complaints() -> dict[str, ComplaintKind]:
    return {
        "mismatch": ComplaintKind(title="与宣传不符", deduction=100),
        "unconsented_activation": ComplaintKind(title="未经同意开通", deduction=100),
        "not_handled_in_time": ComplaintKind(title="未及时处理", deduction=200),
        "unsatisfactory": ComplaintKind(title="处理结果不满意", deduction=200),
    }


class Policy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str
    timezone: str = "Asia/Shanghai"
    rules: dict[str, RuleSpec]
    sampling: SamplingSpec = Field(default_factory=SamplingSpec)
    complaints: dict[str, ComplaintKind] = Field(default_factory=_default_complaints)
    # The rule a complaint opens a finding under (deceives or misleads, causing a complaint).
    complaint_rule: str = "QA-05"

    _compiled: CompiledPolicy | None = PrivateAttr(default=None)

    @field_validator("version", mode="before")
    @classmethod
    def _version_str(cls, value: Any) -> str:
        return str(value)

    @model_validator(mode="after")
    def _check(self) -> Policy:
        unknown = sorted(set(self.rules) - set(RULE_IDS))
        if unknown:
            raise ValueError(f"unknown rule ids: {', '.join(unknown)}")
        return self

    def rule(self, rule_id: str) -> RuleSpec:
        return self.rules[rule_id]

    def compiled(self) -> CompiledPolicy:
        """The phrase automaton and regexes, built once per policy object and cached."""
        # read from pydantic's private-attribute dict: ``self._compiled`` goes through the model's
        # ``__getattr__`` (about 3.5 µs, paid on every check)
        private = self.__pydantic_private__
        compiled: CompiledPolicy | None = private.get("_compiled") if private is not None else None
        if compiled is None:
            compiled = self._compiled = CompiledPolicy(self)
        return compiled


class Hit(NamedTuple):
    start: int
    end: int
    phrase: str


# Whose words each phrase set is read in (the detectors' knowledge, not the catalogue's): a set is
# matched only in that speaker's turns, so the customer's many 好/行 never cost a look in agent
# turns and vice versa. A set not listed here (a new one in a policy file) is matched in both;
# "none" marks sets the detectors read as plain lists (prefix checks), never as hits.
SET_SPEAKERS: dict[str, str] = {
    "QA-01:second_person": "agent",
    "QA-01:honorifics": "none",
    "QA-02:store": "agent",
    "QA-02:negated": "agent",
    "QA-02:cannot": "agent",
    "QA-03a:blessing": "agent",
    "QA-03a:closing_line": "agent",
    "QA-04:refusal": "customer",
    "QA-04:refusal_indirect_trigger": "customer",
    "QA-04:pitch": "agent",
    "QA-04:closing": "agent",
    "QA-05:absolute_claim": "agent",
    "QA-05:free": "agent",
    "QA-05:free_qualifier": "agent",
    "QA-05:fee": "agent",
    "QA-05:reversal": "agent",
    "QA-05:complaint": "customer",
    "QA-05:withdrawal": "customer",
    "QA-05:objection_trigger": "customer",
    "QA-05:quiet_withdrawal": "customer",
    "QA-05:objection_quote_trigger": "customer",
    "QA-05:objection_surprise_trigger": "customer",
    "QA-05:terms_charged": "customer",
    "QA-05:terms_source": "customer",
    "QA-05:contradiction_trigger": "both",  # read in the customer's reading of the terms too
    "QA-05:promise_trigger": "agent",
    "QA-05:guarantee_trigger": "agent",
    "QA-05:promise_more_trigger": "agent",
    "QA-06:context_ok": "agent",
    "QA-06:presentation": "agent",
    "QA-06:brand_except": "agent",
    "QA-06:org_intro_trigger": "agent",
    "QA-06:org_affiliation_trigger": "agent",
    "QA-06:org_intro_join_trigger": "agent",
    "QA-07:rude": "agent",
    "QA-07:rhetorical_trigger": "agent",
    "QA-07:reproach_trigger": "agent",
    "QA-07:reproach_form_trigger": "agent",
    "QA-07:rhetorical_marker_trigger": "agent",
    "QA-07:offended_trigger": "customer",
    "QA-07:reproach_more_trigger": "agent",
    "QA-07:reproach_worded_trigger": "agent",
    "QA-07:rude_except": "agent",
    "QA-10:forbidden": "agent",
    "QA-10:paraphrase_trigger": "agent",
    "QA-10:paraphrase_misread_trigger": "agent",
    "QA-10:paraphrase_never_trigger": "agent",
    "QA-10:paraphrase_wrong_take_trigger": "agent",
    "QA-10:paraphrase_not_understood_trigger": "agent",
    "QA-10:paraphrase_express_trigger": "agent",
    "QA-10:paraphrase_denial_trigger": "agent",
    "QA-11:ambiguous": "customer",
    "QA-11:clear_yes": "customer",
    "QA-11:consent_question": "agent",
    "QA-11:sale_verb": "agent",
    "QA-11:completion": "agent",
    "QA-11:completion_trigger": "agent",
    "QA-12:age_trigger": "customer",
    "QA-12:minor_words_trigger": "none",
    "QA-12:elderly_words_trigger": "customer",
    "QA-12:other_user_trigger": "customer",
    "QA-12:pitch": "agent",
    "QA-12:age_question_trigger": "agent",
    "QA-12:withdrawal": "agent",
    "QA-14:identity_question": "customer",
    "QA-14:purpose_question": "customer",
    "QA-14:agent_handover_trigger": "agent",
    "QA-14:customer_request": "customer",
    "QA-14:purpose": "agent",
    "QA-14:identity_check": "agent",
    "QA-15:reason": "agent",
    "QA-15:customer_asks_wait": "customer",
}
# Sets the detectors read in a few turns only (the opening, the closing, the turn before a hold,
# after three refusals, on a recorded sale …): kept out of the call-wide pass and matched in a
# turn only when a detector asks (``CallContext.hits``), then cached for that turn.
LAZY_SETS: frozenset[str] = frozenset({
    "QA-02:store", "QA-02:negated", "QA-02:cannot",
    "QA-03a:blessing", "QA-03a:closing_line",
    "QA-04:pitch",
    "QA-05:fee", "QA-05:reversal", "QA-05:contradiction_trigger",
    "QA-11:ambiguous", "QA-11:clear_yes", "QA-11:sale_verb",
    "QA-12:pitch", "QA-12:withdrawal",
    "QA-14:identity_question", "QA-14:customer_request", "QA-14:purpose", "QA-14:identity_check",
    "QA-15:reason",
})  # fmt: skip
SPEAKERS = ("agent", "customer")
# Joins the turns of one speaker into one text for one automaton pass; no phrase contains it.
TURN_SEP = "\x1f"


def base_key(key: str) -> str:
    return key[: -len(EXCEPT_SUFFIX)] if key.endswith(EXCEPT_SUFFIX) else key


def set_speakers(key: str) -> tuple[str, ...]:
    base = base_key(key)
    scope = SET_SPEAKERS.get(base, "both")
    if scope == "none":
        return ()
    return SPEAKERS if scope == "both" else (scope,)


class _Matcher:
    """One Aho-Corasick automaton over the phrases of the sets read in one speaker's turns."""

    def __init__(self, by_phrase: dict[str, list[str]]) -> None:
        self.phrases: list[str] = [p for p in by_phrase if TURN_SEP not in p]
        self.keys: list[tuple[str, ...]] = [tuple(by_phrase[p]) for p in self.phrases]
        # per phrase, the exclusion sets (``…_except``) it belongs to: a hit of one vetoes its base set
        self.except_keys: list[tuple[str, ...]] = [
            tuple(k for k in ks if k.endswith(EXCEPT_SUFFIX)) for ks in self.keys
        ]
        self.has_except: list[bool] = [bool(ks) for ks in self.except_keys]
        self.ac = (
            ahocorasick_rs.AhoCorasick(self.phrases, implementation=ahocorasick_rs.Implementation.DFA)
            if self.phrases
            else None
        )

    def scan_one(self, text: str) -> dict[str, list[Hit]]:
        """Hits in one text (a lazy look at one turn)."""
        raw: dict[str, list[Hit]] = {}
        if self.ac is None or not text:
            return raw
        phrases, keys, has_except, new = self.phrases, self.keys, self.has_except, tuple.__new__
        vetoes: set[str] = set()
        for idx, start, end in self.ac.find_matches_as_indexes(text, overlapping=True):
            hit = new(Hit, (start, end, phrases[idx]))
            for key in keys[idx]:
                bucket = raw.get(key)
                if bucket is None:
                    raw[key] = [hit]
                else:
                    bucket.append(hit)
            if has_except[idx]:
                vetoes.update(self.except_keys[idx])
        if vetoes:
            _apply_exceptions(raw, vetoes)
        return raw

    def scan_many(self, texts: list[str]) -> list[dict[str, list[Hit]]]:
        """Hits per text, from ONE automaton pass over the texts joined by ``TURN_SEP``.

        Overlapping matches come in order of their end offset, so one moving pointer over the
        texts' boundaries assigns each to its text; offsets are made relative to that text."""
        out: list[dict[str, list[Hit]]] = [{} for _ in texts]
        if self.ac is None or not texts:
            return out
        joined = TURN_SEP.join(texts)
        ends: list[int] = []
        pos = 0
        for text in texts:
            pos += len(text)
            ends.append(pos)
            pos += 1
        phrases, keys, has_except, new = self.phrases, self.keys, self.has_except, tuple.__new__
        k = 0
        end_k = ends[0]
        off = 0
        raw = out[0]
        vetoed: dict[int, set[str]] = {}  # text index -> the exclusion sets hit in it
        for idx, start, end in self.ac.find_matches_as_indexes(joined, overlapping=True):
            if end > end_k:
                while end > end_k:
                    k += 1
                    off = end_k + 1
                    end_k = ends[k]
                raw = out[k]
            hit = new(Hit, (start - off, end - off, phrases[idx]))
            for key in keys[idx]:
                bucket = raw.get(key)
                if bucket is None:
                    raw[key] = [hit]
                else:
                    bucket.append(hit)
            if has_except[idx]:
                vetoed.setdefault(k, set()).update(self.except_keys[idx])
        for k, except_keys in vetoed.items():
            _apply_exceptions(out[k], except_keys)
        return out


def _apply_exceptions(raw: dict[str, list[Hit]], except_keys: set[str]) -> None:
    """Drop the hits of each set that lie inside a hit of its ``_except`` set (``except_keys``: the
    exclusion sets hit in this text), and the exclusion sets' own hits."""
    for key in except_keys:
        vetoes = raw.pop(key)
        base = key[: -len(EXCEPT_SUFFIX)]
        if base in raw:
            kept = [h for h in raw[base] if not any(v.start <= h.start and h.end <= v.end for v in vetoes)]
            if kept:
                raw[base] = kept
            else:
                del raw[base]


class CompiledPolicy:
    """Aho-Corasick automata over every phrase set of every rule (one per speaker, see
    ``SET_SPEAKERS``), plus compiled regexes.

    Keys are ``"<rule id>:<set name>"``; an automaton pass over a call's turns of one speaker
    yields hits for all sets at once.
    """

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.cache: dict[str, object] = {}  # detector-specific precomputations (e.g. the brand automaton)
        by_speaker: dict[str, dict[str, list[str]]] = {s: defaultdict(list) for s in SPEAKERS}
        lazy_by_speaker: dict[str, dict[str, list[str]]] = {s: defaultdict(list) for s in SPEAKERS}
        self.lazy_keys: set[str] = set()
        brands = policy.rules["QA-06"].params.get("brands") if "QA-06" in policy.rules else None
        self.brand_canon: dict[str, str] = {}
        if isinstance(brands, dict):
            for canon, aliases in brands.items():
                for alias in (canon, *(aliases or [])):
                    self.brand_canon.setdefault(normalize(str(alias)), str(canon))
            for alias in self.brand_canon:
                for speaker in SPEAKERS:
                    by_speaker[speaker][alias].append(BRAND_KEY)
        for rule_id, spec in policy.rules.items():
            for name, phrases in spec.phrases.items():
                key = f"{rule_id}:{name}"
                lazy = base_key(key) in LAZY_SETS
                if lazy:
                    self.lazy_keys.add(key)
                for speaker in set_speakers(key):
                    table = (lazy_by_speaker if lazy else by_speaker)[speaker]
                    for raw_phrase in phrases:
                        phrase = normalize(raw_phrase)
                        if phrase and key not in table[phrase]:
                            table[phrase].append(key)
        self.matchers: dict[str, _Matcher] = {s: _Matcher(by_speaker[s]) for s in SPEAKERS}
        self.lazy_matchers: dict[str, _Matcher] = {s: _Matcher(lazy_by_speaker[s]) for s in SPEAKERS}
        self._regex: dict[str, list[re.Pattern[str]]] = {}
        self._regex_any: dict[str, re.Pattern[str] | None] = {}
        for rule_id, spec in policy.rules.items():
            for name, pats in spec.patterns.items():
                compiled: list[re.Pattern[str]] = []
                for pat in pats:
                    try:
                        compiled.append(re.compile(expand_tokens(pat)))
                    except re.error as exc:
                        raise PolicyError(f"{rule_id}.patterns.{name}: bad regex {pat!r}: {exc}") from exc
                self._regex[f"{rule_id}:{name}"] = compiled

    def scan(self, text: str, speaker: str = "agent") -> dict[str, list[Hit]]:
        """All phrase hits in one turn of ``speaker`` (overlapping), grouped by set key, with
        exclusions applied, lazy sets included. Hits of a set are in order of their end offset."""
        hits = self.matchers[speaker].scan_one(text)
        hits.update(self.lazy_matchers[speaker].scan_one(text))
        return hits

    def scan_turns(self, texts: list[str], speaker: str) -> list[dict[str, list[Hit]]]:
        """``scan`` for many turns of one speaker in one automaton pass."""
        return self.matchers[speaker].scan_many(texts)

    def regex(self, rule_id: str, name: str) -> list[re.Pattern[str]]:
        return self._regex.get(f"{rule_id}:{name}", [])

    def regex_any(self, rule_id: str, name: str) -> re.Pattern[str] | None:
        """The patterns of a list as one alternation (named groups dropped): one search finds the leftmost."""
        key = f"{rule_id}:{name}"
        if key not in self._regex_any:
            pats: list[str] = []
            groups = 0  # capturing groups of the patterns before: a backreference (不(拦)您\1谁) is shifted past them
            for pat in self._regex.get(key, []):
                text = _NAMED_GROUP.sub("(?:", pat.pattern)
                own = re.compile(text).groups
                if groups:
                    text = _BACKREF.sub(partial(_shift_backref, by=groups), text)
                pats.append(text)
                groups += own
            self._regex_any[key] = re.compile("|".join(f"(?:{p})" for p in pats), re.M) if pats else None
        return self._regex_any[key]

    def phrases(self, rule_id: str, name: str) -> list[str]:
        return self.policy.rules[rule_id].phrases.get(name, []) if rule_id in self.policy.rules else []

    def param(self, rule_id: str, name: str, default: Any = None) -> Any:
        spec = self.policy.rules.get(rule_id)
        return default if spec is None else spec.params.get(name, default)


DEFAULT_POLICY_RESOURCE = ("qa", "policy/qa-policy.yaml")


def _read_default() -> str:
    package, rel = DEFAULT_POLICY_RESOURCE
    return resources.files(package).joinpath(rel).read_text(encoding="utf-8")


def parse_policy(text: str, source: str = "<policy>") -> Policy:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise PolicyError(f"{source}: invalid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise PolicyError(f"{source}: top level must be a mapping")
    try:
        policy = Policy.model_validate(data)
    except ValueError as exc:
        raise PolicyError(f"{source}: {exc}") from exc
    policy.compiled()  # validate regexes early
    return policy


_default_cache: Policy | None = None


def load_policy(path: Path | None = None) -> Policy:
    """Load the packaged default policy (cached) or the policy file at ``path``."""
    global _default_cache
    if path is None:
        if _default_cache is None:
            _default_cache = parse_policy(_read_default(), "qa/policy/qa-policy.yaml")
        return _default_cache
    return parse_policy(Path(path).read_text(encoding="utf-8"), str(path))

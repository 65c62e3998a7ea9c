"""The QA rule catalogue as data (``qa/policy/qa-policy.yaml``) and its compiled form."""

from __future__ import annotations

import re
from collections import defaultdict
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple

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


class Policy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str
    timezone: str = "Asia/Shanghai"
    rules: dict[str, RuleSpec]

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
        if self._compiled is None:
            self._compiled = CompiledPolicy(self)
        return self._compiled


class Hit(NamedTuple):
    start: int
    end: int
    phrase: str


class CompiledPolicy:
    """One Aho-Corasick automaton over every phrase set of every rule, plus compiled regexes.

    Keys are ``"<rule id>:<set name>"``; an automaton pass over a text yields hits for all sets at once.
    """

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.cache: dict[str, object] = {}  # detector-specific precomputations (e.g. the brand automaton)
        by_phrase: dict[str, list[str]] = defaultdict(list)
        brands = policy.rules["QA-06"].params.get("brands") if "QA-06" in policy.rules else None
        self.brand_canon: dict[str, str] = {}
        if isinstance(brands, dict):
            for canon, aliases in brands.items():
                for alias in (canon, *(aliases or [])):
                    self.brand_canon.setdefault(normalize(str(alias)), str(canon))
            for alias in self.brand_canon:
                by_phrase[alias].append(BRAND_KEY)
        for rule_id, spec in policy.rules.items():
            for name, phrases in spec.phrases.items():
                key = f"{rule_id}:{name}"
                for raw_phrase in phrases:
                    phrase = normalize(raw_phrase)
                    if phrase and key not in by_phrase[phrase]:
                        by_phrase[phrase].append(key)
        self._phrases: list[str] = list(by_phrase)
        self._keys: list[tuple[str, ...]] = [tuple(by_phrase[p]) for p in self._phrases]
        self._has_except: list[bool] = [any(k.endswith(EXCEPT_SUFFIX) for k in ks) for ks in self._keys]
        self._ac = ahocorasick_rs.AhoCorasick(self._phrases) if self._phrases else None
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

    def scan(self, text: str) -> dict[str, list[Hit]]:
        """All phrase hits in ``text`` (overlapping), grouped by set key, with exclusions applied."""
        raw: dict[str, list[Hit]] = {}
        if self._ac is None or not text:
            return raw
        phrases, keys, excepts, new = self._phrases, self._keys, False, tuple.__new__
        for idx, start, end in self._ac.find_matches_as_indexes(text, overlapping=True):
            hit = new(Hit, (start, end, phrases[idx]))
            for key in keys[idx]:
                bucket = raw.get(key)
                if bucket is None:
                    raw[key] = [hit]
                else:
                    bucket.append(hit)
            excepts = excepts or self._has_except[idx]
        if excepts:
            for key in [k for k in raw if k.endswith(EXCEPT_SUFFIX)]:
                vetoes = raw.pop(key)
                base = key[: -len(EXCEPT_SUFFIX)]
                if base in raw:
                    kept = [
                        h for h in raw[base] if not any(v.start <= h.start and h.end <= v.end for v in vetoes)
                    ]
                    if kept:
                        raw[base] = kept
                    else:
                        del raw[base]
        return raw  # hits of a set are in order of their end offset; min() gives the leftmost

    def regex(self, rule_id: str, name: str) -> list[re.Pattern[str]]:
        return self._regex.get(f"{rule_id}:{name}", [])

    def regex_any(self, rule_id: str, name: str) -> re.Pattern[str] | None:
        """The patterns of a list as one alternation (named groups dropped): one search finds the leftmost."""
        key = f"{rule_id}:{name}"
        if key not in self._regex_any:
            pats = [_NAMED_GROUP.sub("(?:", p.pattern) for p in self._regex.get(key, [])]
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

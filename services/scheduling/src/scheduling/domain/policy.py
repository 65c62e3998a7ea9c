"""The callback policy: data (a versioned YAML file, per-campaign overrides) read into typed
settings. The rules that use it are in ``rules.py``."""

from __future__ import annotations

from datetime import time
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, model_validator

from scheduling.domain.windows import CallingWindow, window_from_config

DEFAULT_POLICY_FILE = Path(__file__).resolve().parent.parent / "policies" / "default.yaml"
# A local time of day, written "10:00:00" as pydantic does: JSON Schema's "time" format demands a
# UTC offset, which a local time has not, so the API document says what is really sent.
LocalTime = Annotated[
    time,
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d+)?)?$",
            "description": "local time of day, HH:MM[:SS]",
        }
    ),
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WindowPolicy(_Strict):
    periods: list[str] = Field(default_factory=lambda: ["09:00-12:00", "13:00-18:00"])
    weekdays: list[str] = Field(default_factory=lambda: ["mon", "tue", "wed", "thu", "fri"])
    # "CN": the Chinese official calendar; "default": the lead's country (from its numbers),
    # else ``default_country``; another ISO code: that country; null: weekdays only.
    calendar: str | None = "default"
    default_country: str = "CN"
    default_timezone: str = "Asia/Shanghai"

    @model_validator(mode="after")
    def _parses(self) -> WindowPolicy:
        window_from_config(self.periods, self.weekdays, None)  # raises ValueError when malformed
        try:
            ZoneInfo(self.default_timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {self.default_timezone!r}") from exc
        return self

    def window(self, lead_country: str | None) -> CallingWindow:
        calendar = self.calendar
        if calendar == "default":
            calendar = (lead_country or self.default_country).upper()
        return window_from_config(self.periods, self.weekdays, calendar)


class NotConvenientRule(_Strict):
    # An agreed time is required (时间一定要确定); a record without one (only possible from an
    # older producer) is called back after this many minutes rather than forgotten.
    missing_time_fallback_minutes: int = Field(default=60, ge=1)


class NoAnswerRule(_Strict):
    retry_min_minutes: int = Field(default=3, ge=0)
    retry_max_minutes: int = Field(default=5, ge=0)
    max_attempts_per_cycle: int = Field(default=3, ge=1)
    cycle_rest_min_hours: float = Field(default=27, ge=0)
    cycle_rest_max_hours: float = Field(default=31, ge=0)
    max_cycles: int = Field(default=5, ge=1)
    dispositions: list[str] = Field(default_factory=lambda: ["no_answer", "busy"])

    @model_validator(mode="after")
    def _ranges(self) -> NoAnswerRule:
        if self.retry_max_minutes < self.retry_min_minutes:
            raise ValueError("retry_max_minutes < retry_min_minutes")
        if self.cycle_rest_max_hours < self.cycle_rest_min_hours:
            raise ValueError("cycle_rest_max_hours < cycle_rest_min_hours")
        return self


class DroppedRule(_Strict):
    # Which calls dropped is the calls service's verdict (CallEnded.dropped, its campaign setting
    # dropped_call_seconds); this rule says what is done about them.
    max_redials: int = Field(default=2, ge=0)
    # Outcomes that stand even if the line then dropped: never redialled.
    final_dispositions: list[str] = Field(
        default_factory=lambda: [
            "success",
            "refused",
            "no_interest",
            "complaint",
            "invalid_number",
            "wrong_person",
            "callback",
            "appointment",
        ]
    )


class InboundRule(_Strict):
    min_days: float = Field(default=1, ge=0)
    max_days: float = Field(default=3, ge=0)
    # Inbound outcomes that need no follow-up.
    skip_dispositions: list[str] = Field(
        default_factory=lambda: [
            "success",
            "refused",
            "no_interest",
            "complaint",
            "invalid_number",
            "wrong_person",
            "callback",
            "appointment",
        ]
    )


class DaysRule(_Strict):
    days: float = Field(ge=0)


class RefusalRule(_Strict):
    months: int = Field(default=1, ge=1)
    min_days: int = Field(default=28, ge=0)  # "next month and not sooner"
    dispositions: list[str] = Field(default_factory=lambda: ["refused", "no_interest"])


class AppointmentRule(_Strict):
    days_before: int = Field(default=1, ge=1)
    at: LocalTime = time(10, 0)  # local time of the confirmation call


class Rules(_Strict):
    not_convenient: NotConvenientRule = NotConvenientRule()
    no_answer: NoAnswerRule = NoAnswerRule()
    dropped: DroppedRule = DroppedRule()
    inbound: InboundRule = InboundRule()
    interested: DaysRule = DaysRule(days=3)
    strong_interest: DaysRule = DaysRule(days=1)
    refusal: RefusalRule = RefusalRule()
    appointment: AppointmentRule = AppointmentRule()
    sale: DaysRule = DaysRule(days=7)


class Ownership(_Strict):
    release_after_minutes: float = Field(default=15, ge=0)  # overdue this long → to the team
    miss_after_minutes: float = Field(default=24 * 60, ge=0)  # due and not called → missed


class CallbackPolicy(_Strict):
    version: str
    window: WindowPolicy = WindowPolicy()
    rules: Rules = Rules()
    ownership: Ownership = Ownership()


class PolicyDocument(BaseModel):
    """The file: a default policy and partial per-campaign overrides."""

    model_config = ConfigDict(extra="forbid")
    version: str
    default: dict[str, Any] = Field(default_factory=dict)
    campaigns: dict[str, dict[str, Any]] = Field(default_factory=dict)


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def load_document(path: Path = DEFAULT_POLICY_FILE) -> PolicyDocument:
    with path.open(encoding="utf-8") as fh:
        return PolicyDocument.model_validate(yaml.safe_load(fh))


def resolve(
    document: PolicyDocument,
    campaign_id: str | None,
    override: dict[str, Any] | None = None,
    override_version: int | None = None,
) -> CallbackPolicy:
    """The policy for one campaign: file default ← file campaign section ← API override."""
    data = deep_merge(document.default, document.campaigns.get(campaign_id or "", {}))
    version = document.version
    if override:
        data = deep_merge(data, override)
        version = f"{version}+{campaign_id}.{override_version or 1}"
    return CallbackPolicy.model_validate({**data, "version": version})


def validate_override(document: PolicyDocument, campaign_id: str, override: dict[str, Any]) -> CallbackPolicy:
    """Raises pydantic's ValidationError when the override does not make a valid policy."""
    return resolve(document, campaign_id, override, 1)

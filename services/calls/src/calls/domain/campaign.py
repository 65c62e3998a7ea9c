"""Campaign settings and the disposition catalogue, as data.

The default catalogue lives in ``dispositions.yaml`` (versioned); a campaign's settings document
carries only its overrides and is stored as ``CampaignSettingsChanged`` events. Everything here
is pure: the service loads the document, these functions say what it means."""

from __future__ import annotations

from datetime import time
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal, Self

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from common.events.calls import DROPPED_CALL_SECONDS
from common.events.partner import DispositionCode

CATALOGUE_FILE = Path(__file__).with_name("dispositions.yaml")

Flag = Literal[
    "human_answered",
    "customer_contact",
    "interested",
    "sale",
    "do_not_call",
    "callback",
    "appointment",
    "final",
    "unworkable",
]
FLAGS: tuple[str, ...] = (
    "human_answered",
    "customer_contact",
    "interested",
    "sale",
    "do_not_call",
    "callback",
    "appointment",
    "final",
    "unworkable",
)
HHMM = Annotated[str, StringConstraints(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$")]


class Disposition(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    label: dict[str, str] = Field(default_factory=dict)
    flags: list[Flag] = Field(default_factory=list)
    alias_of: str | None = None
    retired: bool = False  # a campaign may retire an outcome: new calls may no longer use it


class Catalogue(BaseModel):
    model_config = ConfigDict(frozen=True)
    version: str
    dispositions: dict[DispositionCode, Disposition]

    def get(self, code: str) -> Disposition | None:
        found = self.dispositions.get(code)
        return None if found is None or found.retired else found

    def flags_of(self, code: str) -> list[str]:
        found = self.get(code)
        return sorted(found.flags) if found else []

    def codes(self) -> list[str]:
        return sorted(code for code, d in self.dispositions.items() if not d.retired)


@lru_cache(maxsize=1)
def default_catalogue() -> Catalogue:
    return Catalogue.model_validate(yaml.safe_load(CATALOGUE_FILE.read_text(encoding="utf-8")))


class Window(BaseModel):
    """A daily calling window in the customer's local time, ``start`` included, ``end``
    excluded: 09:00–12:00 allows 11:59 and refuses 12:00."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    start: HHMM
    end: HHMM

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.start >= self.end:
            raise ValueError("window start must be before its end")
        return self

    def start_time(self) -> time:
        return _parse(self.start)

    def contains(self, moment: time) -> bool:
        end = self.end
        if end == "24:00":
            return moment >= self.start_time()
        return self.start_time() <= moment < _parse(end)


def _parse(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


class AttemptCaps(BaseModel):
    """Dial attempts allowed, per lead and per number; None means no cap. "day" is the
    customer's calendar day, "rolling_24h" the 24 hours before the dial."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    lead_day: int | None = Field(default=3, ge=0)
    number_day: int | None = Field(default=3, ge=0)
    lead_rolling_24h: int | None = Field(default=3, ge=0)
    number_rolling_24h: int | None = Field(default=3, ge=0)
    lead_lifetime: int | None = Field(default=None, ge=0)
    number_lifetime: int | None = Field(default=None, ge=0)


class CampaignSettings(BaseModel):
    """Everything a campaign may configure. Stored whole on every change; unset fields keep
    the defaults below."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    windows: list[Window] = Field(
        default_factory=lambda: [Window(start="09:00", end="12:00"), Window(start="13:00", end="18:00")]
    )
    working_days_only: bool = True
    skip_public_holidays: bool = True
    # Working weekdays outside China (0 = Monday); China follows chinese_calendar, which also
    # knows the make-up working days (调休).
    weekdays: list[int] = Field(default_factory=lambda: [0, 1, 2, 3, 4])
    default_timezone: str = "Asia/Shanghai"
    default_country: str = "CN"
    caps: AttemptCaps = Field(default_factory=AttemptCaps)
    # Caller-number carriers (libphonenumber's English names). ``allowed`` None: whatever the
    # dial request's campaign says; [] : any carrier.
    allowed_caller_carriers: list[str] | None = None
    forbidden_caller_carriers: list[str] = Field(default_factory=list)
    enforce_ownership: bool = True
    refuse_unknown_leads: bool = True
    # A network hang-up within this many seconds of the answer (or of the dial) is a dropped call.
    dropped_call_seconds: int = Field(default=DROPPED_CALL_SECONDS, ge=0)
    inbound_max_rings: int = Field(default=3, ge=0)
    # Fields an end-of-call record must fill when the customer was reached (来电登记表: 不准丢项漏项).
    required_on_contact: list[str] = Field(default_factory=lambda: ["notes"])
    dispositions: dict[DispositionCode, Disposition] = Field(default_factory=dict)

    @field_validator("weekdays")
    @classmethod
    def _weekdays(cls, value: list[int]) -> list[int]:
        if any(d < 0 or d > 6 for d in value):
            raise ValueError("weekdays are 0 (Monday) to 6 (Sunday)")
        return sorted(set(value))

    @field_validator("default_timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    def catalogue(self, base: Catalogue | None = None) -> Catalogue:
        """The campaign's effective catalogue: the default one with this campaign's overrides."""
        base = base or default_catalogue()
        if not self.dispositions:
            return base
        merged = {**base.dispositions, **self.dispositions}
        return Catalogue(version=f"{base.version}+campaign", dispositions=merged)


def settings_from_document(document: dict[str, Any] | None) -> CampaignSettings:
    return CampaignSettings.model_validate(document or {})

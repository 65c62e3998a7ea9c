from datetime import date
from pathlib import Path

from common.settings import ServiceSettings
from pydantic import Field


class QaSettings(ServiceSettings):
    service_name: str = "qa"
    http_port: int = 8103
    qa_policy_path: Path | None = Field(
        default=None, description="the rule catalogue (YAML); the packaged qa/policy/qa-policy.yaml by default"
    )
    qa_agent_start_dates: dict[str, date] = Field(
        default_factory=dict,
        description='agents\' start dates, JSON {"a-101": "2026-11-02"}; PUT /v1/qa/agents/{id} overrides',
    )
    qa_outbox_interval: float = Field(default=0.2, description="seconds between outbox polls when idle")

from datetime import datetime
from pathlib import Path

from common.settings import ServiceSettings
from pydantic import Field


class SchedulingSettings(ServiceSettings):
    service_name: str = "scheduling"
    http_port: int = 8102
    # Small projection batches: on SQLite a batch holds the database's write lock, and the
    # firing loop must not wait behind a long one.
    projection_batch_size: int = 50
    policy_file: Path | None = Field(default=None, description="callback policy YAML; the packaged default if unset")
    poll_interval_seconds: float = Field(default=0.2, description="firing loop: longest sleep between polls")
    fire_batch_size: int = Field(default=500, description="callbacks fired, and outbox rows published, per step")
    absent_agents: list[str] = Field(
        default_factory=list, description="agents whose callbacks go to their team (JSON list)"
    )
    fulfil_early_minutes: float = Field(default=10, description="a call this early fulfils a scheduled callback")
    late_grace_minutes: float = Field(default=10, description="firing later than this re-checks the window at now")
    # A simulated clock (demos, the benchmark): SCHEDULING clock starts at CLOCK_START when the real
    # Unix time is CLOCK_ORIGIN and runs CLOCK_SPEED times faster (0: frozen).
    clock_start: datetime | None = None
    clock_origin: float | None = None
    clock_speed: float = 1.0

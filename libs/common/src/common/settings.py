"""Settings: one class per service, all built on this base, read from the environment.

Locally everything defaults to an embedded setup (SQLite under ./var); production sets
``NATS_URL`` (a cluster: comma-separated URLs) and ``DATABASE_URL`` (PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

VAR_DIR = Path("var")


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=None, extra="ignore")

    service_name: str = "service"
    nats_url: str = Field(default="nats://127.0.0.1:4222", description="one URL or several, comma-separated")
    nats_user_credentials: str | None = None
    event_namespace: str = Field(default="tm", description="prefix of every stream and subject")
    stream_replicas: int = 1
    database_url: str | None = Field(default=None, description="SQLAlchemy URL; SQLite under ./var by default")
    http_host: str = "127.0.0.1"
    http_port: int = 8080
    log_level: str = "INFO"
    projection_batch_size: int = 500
    projection_max_deliver: int = 5
    # How long a replica that died keeps its projections before another (or its own restart)
    # takes them over: shorter means less lag after a crash, longer tolerates longer pauses.
    projection_lease_seconds: float = 15.0
    pii_key: str = Field(default="dev-only-pii-key", description="HMAC key for personal-data digests")

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(VAR_DIR / f'{self.service_name}.db').resolve()}"

    def nats_servers(self) -> list[str]:
        return [u.strip() for u in self.nats_url.split(",") if u.strip()]

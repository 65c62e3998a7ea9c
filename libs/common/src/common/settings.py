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
    # Or a user and password: each service its own, allowed only its own subjects
    # (common.broker_access; ``make run`` makes them).
    nats_user: str | None = None
    nats_password: str | None = Field(default=None, repr=False)
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
    # Each replica upgrades its database at start (replicas take turns on a lock). A deployment
    # that runs the migrations as a job before rolling out sets it false: a replica then waits
    # until the database is at the heads its code knows.
    migrate_on_start: bool = True
    pii_key: str = Field(default="dev-only-pii-key", description="HMAC key for personal-data digests")
    # Wraps every lead's data key (common.personal_data); the same secret in every service that
    # holds the key grant. Losing it makes every sealed value unreadable, as an erasure would.
    pii_master_key: str = Field(default="dev-only-pii-master-key", repr=False)
    # Shared by the gateway and the services: the gateway signs the caller's verified identity
    # with it (common.identity) and a service refuses a /v1 request whose identity it did not sign.
    gateway_secret: str = Field(default="dev-only-gateway-secret", repr=False)
    # Bodies over these are refused with 413 at the edge (the gateway, then every service), counted
    # as they stream. Uploads (multipart) carry leads' import files, accepted up to 200 MiB
    # (``LeadsSettings.import_max_bytes``) plus the form's own parts; JSON bodies are records and
    # commands, whose largest (a call with a long transcript) is far under 1 MiB.
    max_json_body_bytes: int = Field(default=1024 * 1024, ge=1)
    max_upload_body_bytes: int = Field(default=201 * 1024 * 1024, ge=1)
    # The deepest JSON request is a campaign's settings document, about 5 levels.
    max_json_depth: int = Field(default=32, ge=1)
    # How long a command waits for JetStream to acknowledge an append before answering 503.
    publish_timeout_s: float = Field(default=5.0, gt=0)

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(VAR_DIR / f'{self.service_name}.db').resolve()}"

    def nats_servers(self) -> list[str]:
        return [u.strip() for u in self.nats_url.split(",") if u.strip()]

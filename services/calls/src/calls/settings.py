from pydantic import Field

from common.settings import ServiceSettings


class CallsSettings(ServiceSettings):
    service_name: str = "calls"
    http_port: int = 8101
    centre_timezone: str = Field(
        default="Asia/Shanghai", description="the call centre's time zone: which day a call is listed under"
    )
    default_region: str = Field(default="CN", description="region for numbers written without a country code")
    read_your_writes_timeout: float = Field(
        default=2.0, description="seconds a write waits for the calls read model to include it"
    )
    batch_max_calls: int = Field(
        default=500,
        ge=1,
        description="most finished calls in one POST /v1/calls/batch (the JSON body limit applies too)",
    )
    batch_append_concurrency: int = Field(
        default=64, ge=1, description="records of a batch whose events are appended side by side"
    )

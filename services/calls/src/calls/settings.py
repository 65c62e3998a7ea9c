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

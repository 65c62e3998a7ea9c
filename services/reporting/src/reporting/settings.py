from common.settings import ServiceSettings
from pydantic import Field

from reporting.domain.measures import DEFAULT_DIALLING_NORM_SECONDS, DEFAULT_EFFECTIVE_TALK_MIN_SECONDS


class ReportingSettings(ServiceSettings):
    service_name: str = "reporting"
    http_port: int = 8105
    centre_timezone: str = Field(
        default="Asia/Shanghai",
        description="the call centre's time zone: the day of UTC instants (refusals, callback due times)",
    )
    effective_talk_min_seconds: float = Field(
        default=DEFAULT_EFFECTIVE_TALK_MIN_SECONDS,
        description="an effective call (有效通话) reached the customer and lasted at least this long",
    )
    dialling_norm_seconds: float = Field(
        default=DEFAULT_DIALLING_NORM_SECONDS,
        gt=0,
        description="an agent's dialling time a day is held against this norm (seed: two hours a day)",
    )

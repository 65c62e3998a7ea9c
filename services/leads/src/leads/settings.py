from pathlib import Path

from common.settings import VAR_DIR, ServiceSettings
from pydantic import Field


class LeadsSettings(ServiceSettings):
    service_name: str = "leads"
    http_port: int = 8100

    default_region: str = Field(default="CN", description="country assumed for numbers without +code")
    default_timezone: str = Field(default="Asia/Shanghai", description="when a number's region has none")
    rest_days: int = Field(default=30, ge=1, description="length of a do-not-call rest (下个月再联系)")
    rest_on_refusal: bool = Field(default=True, description="a 'refused' call rests the lead for rest_days")
    refusal_limit: int = Field(default=3, ge=0, description="clear refusals in one call that opt out (0: off)")
    stale_after_days: int = Field(default=30, ge=1, description="no contact for this long: a stale lead")
    import_dir: Path = Field(default=VAR_DIR / "leads-imports", description="uploaded files while importing")
    import_chunk_rows: int = Field(default=500, ge=1, description="rows per import transaction")
    import_publish_concurrency: int = Field(default=64, ge=1, description="events in flight while importing")
    import_max_bytes: int = Field(default=200 * 1024 * 1024, description="largest accepted upload")

from common.settings import ServiceSettings
from pydantic import Field


class GatewaySettings(ServiceSettings):
    service_name: str = "gateway"
    http_port: int = 8000
    leads_url: str = "http://127.0.0.1:8100"
    calls_url: str = "http://127.0.0.1:8101"
    scheduling_url: str = "http://127.0.0.1:8102"
    qa_url: str = "http://127.0.0.1:8103"
    reporting_url: str = "http://127.0.0.1:8105"
    # Longer than a service takes to answer 503 itself (its publish timeout, 5 s), shorter than
    # a partner's patience.
    upstream_timeout_s: float = 15.0
    upstream_connect_timeout_s: float = 2.0

    # Bearer tokens (gateway.auth): keys from a JWKS URL in production, a PEM public key locally.
    auth_jwks_url: str | None = None
    auth_jwks_cache_s: int = 300
    auth_public_key: str | None = Field(default=None, repr=False, description="PEM, inline")
    auth_public_key_file: str | None = None
    auth_audience: str = "tm-api"
    auth_issuer: str | None = None
    auth_algorithms: list[str] = ["RS256", "ES256"]
    auth_leeway_s: float = 30.0
    # Partners' requests per second per token, with bursts up to ``partner_burst`` (429 beyond).
    # Counted per gateway replica: N replicas admit up to N times this.
    partner_rate_per_s: float = Field(default=50.0, gt=0)
    partner_burst: int = Field(default=100, ge=1)
    # The front-end's origins (CORS); none by default, so browsers on other sites get no access.
    cors_origins: list[str] = []

    def upstreams(self) -> dict[str, str]:
        return {
            "leads": self.leads_url,
            "calls": self.calls_url,
            "scheduling": self.scheduling_url,
            "qa": self.qa_url,
            "reporting": self.reporting_url,
        }

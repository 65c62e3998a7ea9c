from common.settings import ServiceSettings


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

    def upstreams(self) -> dict[str, str]:
        return {
            "leads": self.leads_url,
            "calls": self.calls_url,
            "scheduling": self.scheduling_url,
            "qa": self.qa_url,
            "reporting": self.reporting_url,
        }

from common.settings import ServiceSettings


class CallsSettings(ServiceSettings):
    service_name: str = "calls"
    http_port: int = 8101

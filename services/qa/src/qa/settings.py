from common.settings import ServiceSettings


class QaSettings(ServiceSettings):
    service_name: str = "qa"
    http_port: int = 8103

"""Settings of crm, from `CRM_*` variables (and the shared `CC_*` ones)."""

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from cc_runtime import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CRM_", extra="ignore")

    service_name: ClassVar[str] = "crm"
    http_port: int = 8002

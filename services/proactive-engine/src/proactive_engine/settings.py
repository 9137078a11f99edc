"""Settings of proactive-engine, from `PROACTIVE_ENGINE_*` (and the shared `CC_*`) variables."""

from typing import ClassVar

from cc_runtime import ServiceSettings
from pydantic_settings import SettingsConfigDict


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PROACTIVE_ENGINE_", extra="ignore")

    service_name: ClassVar[str] = "proactive-engine"
    http_port: int = 8004

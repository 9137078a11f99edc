"""Settings of telephony-ingest, from `TELEPHONY_INGEST_*` (and the shared `CC_*`) variables."""

from typing import ClassVar

from cc_runtime import ServiceSettings
from pydantic_settings import SettingsConfigDict


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="TELEPHONY_INGEST_", extra="ignore")

    service_name: ClassVar[str] = "telephony-ingest"
    http_port: int = 8001

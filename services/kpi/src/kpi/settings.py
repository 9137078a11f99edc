"""Settings of kpi, from `KPI_*` variables (and the shared `CC_*` ones)."""

from typing import ClassVar
from zoneinfo import ZoneInfo

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from cc_runtime import ServiceSettings
from kpi.calls import CallRules


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="KPI_", extra="ignore")

    service_name: ClassVar[str] = "kpi"
    http_port: int = 8005
    timezone: str = Field("Europe/Rome", description="The contact centre's time zone (IANA).")
    service_level_seconds: float = Field(20.0, ge=0, description="Answered within this: in SL.")
    service_level_target: float = Field(0.8, ge=0, le=1, description="Share the SL should reach.")
    short_abandon_seconds: float = Field(5.0, ge=0, description="Abandons under this are short.")
    fcr_days: int = Field(7, ge=0, description="A repeat contact within N days breaks FCR.")
    batch_max_records: int = Field(
        2000, ge=1, description="Records consumed, stored and committed together."
    )

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def call_rules(self) -> CallRules:
        return CallRules(
            service_level_ms=round(self.service_level_seconds * 1000),
            short_abandon_ms=round(self.short_abandon_seconds * 1000),
        )

"""Settings of claims, from `CLAIMS_*` variables (and the shared `CC_*` ones)."""

import re
from typing import ClassVar

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from cc_runtime import ServiceSettings
from cc_schemas import ClaimCluster

CLUSTER_CODE = r"^[a-z][a-z0-9_]{0,63}$"


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CLAIMS_", extra="ignore")

    service_name: ClassVar[str] = "claims"
    http_port: int = 8003
    clusters: tuple[str, ...] = Field(
        tuple(c.value for c in ClaimCluster),
        description="The claim clusters people choose from, as codes (JSON list in the "
        'environment: CLAIMS_CLUSTERS=\'["return", "damaged_on_arrival"]\').',
    )
    reopen_window_days: int = Field(
        30, ge=0, le=365, description="Days after closing during which a ticket may reopen."
    )

    @field_validator("clusters")
    @classmethod
    def _codes(cls, clusters: tuple[str, ...]) -> tuple[str, ...]:
        bad = [c for c in clusters if not re.fullmatch(CLUSTER_CODE, c)]
        if bad or not clusters:
            raise ValueError(f"cluster codes must match {CLUSTER_CODE}; refused: {bad}")
        return clusters

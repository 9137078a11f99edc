"""Settings of crm, from `CRM_*` variables (and the shared `CC_*` ones)."""

from pathlib import Path
from typing import ClassVar

import phonenumbers
from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from cc_runtime import ServiceSettings
from crm.strategic import DEFAULT_FILE


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CRM_", extra="ignore")

    service_name: ClassVar[str] = "crm"
    http_port: int = 8002
    default_region: str = Field(
        "IT",
        description="Region (ISO 3166-1 alpha-2) of phone numbers written without a country "
        "prefix, in customer records, imports and caller ids.",
    )
    strategic_file: Path = Field(
        DEFAULT_FILE,
        description="TOML file of the strategic level's thresholds (crm/strategic.toml's layout).",
    )
    import_batch_rows: int = Field(
        1000, ge=1, le=50_000, description="Rows of a customer import stored per transaction."
    )
    import_rejections_listed: int = Field(
        1000, ge=0, description="Rejected rows an import's report lists (all are counted)."
    )

    case_window_days: float = Field(
        14,
        gt=0,
        le=365,
        description="How long after an open case's last contact a new contact of the same "
        "customer may still be proposed for it.",
    )

    attachments_dir: Path = Field(
        Path.home() / ".local/state/contact-centre/crm-attachments",
        description="Where attachments' content is kept, once per sha256 (a volume in compose).",
    )
    attachment_max_bytes: int = Field(
        25 * 1024 * 1024, ge=1, description="The largest file a contact or case takes (413)."
    )

    @field_validator("default_region")
    @classmethod
    def _known_region(cls, region: str) -> str:
        region = region.upper()
        if region not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(f"{region!r} is not a region phonenumbers knows")
        return region

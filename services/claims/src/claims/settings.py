"""Settings of claims, from `CLAIMS_*` variables (and the shared `CC_*` ones)."""

import re
from pathlib import Path
from typing import ClassVar

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from cc_runtime import ServiceSettings
from cc_schemas import ClaimCluster
from claims.sla import DEFAULT_FILE as DEFAULT_SLA_FILE
from claims.upgrades import DEFAULT_UPGRADES
from claims.warranty import DEFAULT_CHECKLISTS

CLUSTER_CODE = r"^[a-z][a-z0-9_]{0,63}$"
PLACEHOLDER_SECRET = "development-only-claims-link-secret"  # noqa: S105 (refused in production)
MIN_SECRET_BYTES = 32


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CLAIMS_", extra="ignore")

    service_name: ClassVar[str] = "claims"
    http_port: int = 8003
    clusters: tuple[str, ...] = Field(
        tuple(c.value for c in ClaimCluster),
        description="The claim clusters people choose from, as codes (JSON list in the "
        'environment: CLAIMS_CLUSTERS=\'["return", "damaged_on_arrival"]\').',
    )
    zone: str = Field("Europe/Rome", description="The contact centre's time zone (IANA).")
    opening_hours: dict[str, str] = Field(
        {d: "09:00-18:00" for d in ("mon", "tue", "wed", "thu", "fri")} | {"sat": "09:00-13:00"},
        description="Opening hours per weekday, the clock of SLA deadlines (JSON in the "
        'environment: CLAIMS_OPENING_HOURS=\'{"mon": "09:00-13:00,14:00-18:00"}\'); days left '
        "out are closed.",
    )
    holidays_country: str = Field(
        "IT",
        description="Public holidays close the contact centre: ISO 3166-1 country code (empty: "
        "no holidays).",
    )
    sla_file: Path = Field(DEFAULT_SLA_FILE, description="SLA policies (claims/sla.toml's layout).")
    sla_check_seconds: float = Field(
        30.0, gt=0, description="How often the SLA watcher looks for deadlines near or missed."
    )
    console_poll_seconds: float = Field(
        15.0, gt=0, description="How often the back-office screen refreshes its queue."
    )
    warranty_months: int = Field(
        24, ge=1, le=120, description="Warranty from delivery (24 months: Italy's guarantee)."
    )
    checklists_file: Path = Field(
        DEFAULT_CHECKLISTS, description="Warranty checklists (claims/checklists.toml's layout)."
    )
    upgrades_file: Path = Field(
        DEFAULT_UPGRADES,
        description="Better products to offer when a replacement is out of stock "
        "(claims/upgrades.toml's layout).",
    )
    customer_link_secret: SecretStr = Field(
        SecretStr(PLACEHOLDER_SECRET),
        description="Signs the links to customers' claim pages; at least 32 bytes in "
        "production (make one with `openssl rand -hex 32`).",
    )
    customer_link_days: int = Field(30, ge=1, le=365, description="How long a link stays valid.")
    customer_page_url: str = Field(
        "http://127.0.0.1:8003/claim",
        description="Where customers reach their claim page (behind the shop's domain in "
        "production); links are this with ?token=...",
    )
    attachments_dir: Path = Field(
        Path.home() / ".local/state/contact-centre/claims-attachments",
        description="Where attachments' content is kept, once per sha256 (a volume in compose).",
    )
    attachment_max_bytes: int = Field(
        25 * 1024 * 1024, ge=1, description="The largest file a claim takes (413 above)."
    )
    availability_url: str = Field(
        "",
        description="The shop's product-availability lookup (GET <url>/products/{id}/availability "
        'answering {"in_stock": true}); empty: unknown, replacements are not checked.',
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

    @model_validator(mode="after")
    def _refuse_weak_secret(self) -> "Settings":
        if self.platform_environment != "production":  # development and tests run without one
            return self
        secret = self.customer_link_secret.get_secret_value()
        if secret == PLACEHOLDER_SECRET or len(secret.encode()) < MIN_SECRET_BYTES:
            raise ValueError(
                f"CLAIMS_CUSTOMER_LINK_SECRET must be set, at least {MIN_SECRET_BYTES} bytes, "
                "in production"
            )
        return self

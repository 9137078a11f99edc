"""Settings of telephony-ingest, from `TELEPHONY_INGEST_*` (and the shared `CC_*`) variables."""

from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from cc_runtime import ServiceSettings

PLACEHOLDER_SECRET = "change-me"  # noqa: S105 - the development default, refused elsewhere


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="TELEPHONY_INGEST_", extra="ignore")

    service_name: ClassVar[str] = "telephony-ingest"
    http_port: int = 8001

    environment: Literal["development", "test", "production"] = "development"
    default_region: str = Field("IT", pattern=r"^[A-Z]{2}$", description="For national numbers")
    pbx_id: str = Field("pbx", min_length=1, description="Names this PBX in derived event ids")
    agent_aliases: dict[str, str] = Field(
        default_factory=dict,
        description="Interface or name -> agent identity, for devices that do not carry the "
        'extension (JSON: {"SIP/mario-desk": "1127"}); see agent_identity',
    )

    webhook_secret: SecretStr = SecretStr(PLACEHOLDER_SECRET)
    webhook_tolerance_seconds: int = Field(300, ge=1)
    webhook_max_batch: int = Field(1000, ge=1)

    import_roots: list[Path] = Field(
        default_factory=list, description="Server-side folders the import endpoint may read"
    )
    import_checkpoint_lines: int = Field(20_000, ge=1)

    follow_path: Path | None = Field(None, description="A live queue_log to follow")
    follow_poll_seconds: float = Field(0.5, gt=0)

    ami_host: str | None = None
    ami_port: int = 5038
    ami_username: str = "telephony-ingest"
    ami_secret: SecretStr = SecretStr(PLACEHOLDER_SECRET)
    ami_backoff_seconds: float = Field(1.0, gt=0)
    ami_max_backoff_seconds: float = Field(60.0, gt=0)

    producer_linger_ms: int = Field(20, ge=0)
    producer_compression: Literal["none", "gzip", "lz4", "zstd", "snappy"] = "none"

    @model_validator(mode="after")
    def _refuse_placeholder_secrets(self) -> "Settings":
        if self.environment != "development":
            if self.webhook_secret.get_secret_value() == PLACEHOLDER_SECRET:
                raise ValueError("TELEPHONY_INGEST_WEBHOOK_SECRET must be set outside development")
            if self.ami_host and self.ami_secret.get_secret_value() == PLACEHOLDER_SECRET:
                raise ValueError("TELEPHONY_INGEST_AMI_SECRET must be set outside development")
        return self

"""Settings of telephony-ingest, from `TELEPHONY_INGEST_*` (and the shared `CC_*`) variables."""

from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from cc_runtime import ServiceSettings

PLACEHOLDER_SECRET = "change-me"  # noqa: S105 - the development default, refused elsewhere
# Shortest shared secret accepted outside development: 256 bits, the HMAC-SHA256 key size.
MIN_SECRET_BYTES = 32
# Room, within one Kafka message, for the record's key, headers and batch framing, and for the
# fields an event gains when re-encoded (defaults, a normalised caller): a webhook body this much
# under the topic's limit always fits in it.
RECORD_MARGIN_BYTES = 16 * 1024


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

    people_file: Path | None = Field(
        None,
        description="Whose each PBX agent is, for deployments without Keycloak: a JSON list of "
        '{"subject", "extension", "pbx_agent_ids"} (see directory.StaticDirectory)',
    )
    people_keycloak_client_id: str | None = Field(
        None,
        description="A client whose service account holds realm-management's view-users: "
        "when set, whose each PBX agent is is read from Keycloak's users (their extension and "
        "pbx_agent_ids attributes)",
    )
    people_keycloak_client_secret: SecretStr = SecretStr("")
    people_keycloak_realm_url: str | None = Field(
        None,
        description="The realm's URL as this service reaches it (compose: the keycloak "
        "container); empty: CC_OIDC_ISSUER",
    )
    people_refresh_seconds: float = Field(
        60.0, gt=0, description="How often Keycloak's users are read again (in the background)"
    )

    webhook_secret: SecretStr = SecretStr(PLACEHOLDER_SECRET)
    webhook_tolerance_seconds: int = Field(300, ge=1)
    webhook_max_batch: int = Field(1000, ge=1)
    max_message_bytes: int = Field(
        1_048_588,
        ge=64 * 1024,
        description="The call-events and agent-events topics' max.message.bytes (Kafka's "
        "default): a webhook body may be at most this less RECORD_MARGIN_BYTES (16 KiB)",
    )

    import_roots: list[Path] = Field(
        default_factory=list, description="Server-side folders the import endpoint may read"
    )
    import_checkpoint_lines: int = Field(20_000, ge=1)

    ledger_retention_days: int = Field(
        90,
        ge=1,
        description="Days a queue_log line is remembered in the ledger after it was handled; "
        "a file imported again after that is published again (same event ids: consumers "
        "deduplicate)",
    )
    housekeeping_seconds: float = Field(
        60.0, gt=0, description="How often expired nonces and old ledger lines are removed"
    )

    follow_path: Path | None = Field(None, description="A live queue_log to follow")
    follow_poll_seconds: float = Field(0.5, gt=0)

    ami_host: str | None = None
    ami_port: int = 5038
    ami_username: str = "telephony-ingest"
    ami_secret: SecretStr = SecretStr(PLACEHOLDER_SECRET)
    ami_backoff_seconds: float = Field(1.0, gt=0)
    ami_max_backoff_seconds: float = Field(60.0, gt=0)
    ami_leave_grace_seconds: float = Field(
        10.0,
        gt=0,
        description="How long a Leave waits for its AgentConnect before the call is exited "
        "(longer than the queue's member macro / gosub / AGI runs)",
    )

    producer_linger_ms: int = Field(
        0,
        ge=0,
        description="How long the producer holds a webhook event for others to join its batch "
        "(each request waits that long; events of concurrent requests share batches anyway, "
        "while one is in flight); bulk imports fill their own batches",
    )
    producer_compression: Literal["none", "gzip", "lz4", "zstd", "snappy"] = "none"

    @property
    def webhook_max_body_bytes(self) -> int:
        return self.max_message_bytes - RECORD_MARGIN_BYTES

    @model_validator(mode="after")
    def _one_people_directory(self) -> "Settings":
        if self.people_file is not None and self.people_keycloak_client_id:
            raise ValueError(
                "TELEPHONY_INGEST_PEOPLE_FILE and TELEPHONY_INGEST_PEOPLE_KEYCLOAK_CLIENT_ID "
                "are two directories of people: set one"
            )
        return self

    @model_validator(mode="after")
    def _refuse_weak_secrets(self) -> "Settings":
        if self.environment == "development":
            return self
        where = f"outside development (TELEPHONY_INGEST_ENVIRONMENT={self.environment})"
        _require_strong("TELEPHONY_INGEST_WEBHOOK_SECRET", self.webhook_secret, where)
        if self.ami_host and self.ami_secret.get_secret_value() == PLACEHOLDER_SECRET:
            raise ValueError(f"TELEPHONY_INGEST_AMI_SECRET must be set {where}")
        return self


def _require_strong(variable: str, secret: SecretStr, where: str) -> None:
    value = secret.get_secret_value()
    if value == PLACEHOLDER_SECRET or not value:
        raise ValueError(f"{variable} must be set {where}")
    if len(value.encode()) < MIN_SECRET_BYTES:
        raise ValueError(
            f"{variable} must be at least {MIN_SECRET_BYTES} bytes {where}; "
            f"it has {len(value.encode())} (make one with `openssl rand -hex 32`)"
        )

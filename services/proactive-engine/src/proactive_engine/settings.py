"""Settings of proactive-engine, from `PROACTIVE_ENGINE_*` (and the shared `CC_*`) variables."""

from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from cc_runtime import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PROACTIVE_ENGINE_", extra="ignore")

    service_name: ClassVar[str] = "proactive-engine"
    http_port: int = 8004

    clock: Literal["wall", "event-time"] = Field(
        "wall",
        description="wall: live, the wall clock moves the watermark too (quiet periods fire on "
        "time); event-time: only the events move it (replays, simulations at N x).",
    )
    allowed_lateness_seconds: float = Field(
        5,
        ge=0,
        description="Event time an event may arrive after a later one of its partition; "
        "deadlines fire this much after they pass.",
    )
    idle_partition_seconds: float = Field(
        10, gt=0, description="Wall seconds after which a silent partition holds no one back."
    )
    rules_file: Path | None = Field(None, description="Rules TOML; the packaged one if unset.")
    timer_interval_seconds: float = Field(0.1, gt=0, description="Pause when nothing was due.")
    lease_seconds: float = Field(
        30, gt=0, description="How long a request being published is another instance's."
    )
    claim_limit: int = Field(500, ge=1, description="Due sessions fired per timer round.")
    # 5,000 rather than 1,000: the work per batch (FastStream's, the lock, scheduling each
    # changed session once) spread over more events; the benchmark ran 20-30 % faster.
    batch_max_records: int = Field(5000, ge=1, description="Shop events folded per batch.")
    retention_hours: float = Field(
        24, gt=0, description="Sessions idle this long are forgotten (memory and store)."
    )
    checkpoint_seconds: float = Field(
        10, gt=0, description="How often changed sessions are stored and offsets committed."
    )
    order_refresh_seconds: float = Field(
        5, gt=0, description="How often orders asked about are looked at again."
    )

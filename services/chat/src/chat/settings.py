"""Settings of chat, from `CHAT_*` variables (and the shared `CC_*` ones)."""

from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from cc_runtime import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CHAT_", extra="ignore")

    service_name: ClassVar[str] = "chat"
    http_port: int = 8006
    conversion_window_hours: float = Field(
        24.0,
        gt=0,
        description="An order by the customer within this many hours after an operator "
        "accepted their contact request converts it (contact.converted).",
    )
    expiry_check_seconds: float = Field(
        1.0, gt=0, description="How often the expiry watcher looks for requests past expiry."
    )
    console_poll_seconds: float = Field(
        2.0, gt=0, description="How often the console's queue refreshes itself."
    )

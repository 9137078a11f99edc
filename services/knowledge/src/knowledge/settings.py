"""Settings of knowledge, from `KNOWLEDGE_*` variables (and the shared `CC_*` ones)."""

from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from cc_runtime import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="KNOWLEDGE_", extra="ignore")

    service_name: ClassVar[str] = "knowledge"
    http_port: int = 8007
    mining_every_seconds: float = Field(
        3600.0,
        gt=0,
        description="How often the periodic mining run looks for new cases (a run starts only "
        "when cases arrived or left since the last one).",
    )
    mining_min_cases: int = Field(
        4, ge=1, description="Fewer cases than this are not worth grouping: no run."
    )
    person_chat_url: str = Field(
        "http://127.0.0.1:8006/widget/demo",
        description="Where a customer starts a chat with a person (every FAQ answer offers it).",
    )
    person_callback_url: str = Field(
        "http://127.0.0.1:8006/widget/demo#call-back",
        description="Where a customer asks to be called back (every FAQ answer offers it).",
    )

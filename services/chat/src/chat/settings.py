"""Settings of chat, from `CHAT_*` variables (and the shared `CC_*` ones)."""

from datetime import timedelta
from pathlib import Path
from typing import ClassVar

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from cc_runtime import ServiceSettings
from chat.canned import DEFAULT_TABLE, Canned, check_table

PLACEHOLDER_SECRET = "development-only-chat-token-secret"  # noqa: S105 (refused in production)
PLACEHOLDER_SHOP_SECRET = "development-only-shop-session-secret"  # noqa: S105 (as above)
MIN_SECRET_BYTES = 32


class CannedSetting(BaseModel):
    key: str = Field(min_length=1, max_length=50, pattern=r"^[a-z0-9_-]+$")
    title: str = Field(min_length=1, max_length=100)
    text: str = Field(min_length=1, max_length=2000)


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
    pop_poll_seconds: float = Field(
        1.0, gt=0, description="How often the console asks for its operator's screen pop."
    )
    crm_url: str = Field(
        "http://127.0.0.1:8002",
        description="crm's base URL: the screen pop's manual search asks its customer search.",
    )
    service_level_target_seconds: float = Field(
        60.0,
        gt=0,
        description="The supervisor's view: a contact taken within this many seconds is "
        "answered in target; a channel whose oldest waits longer is in alert.",
    )
    service_level_goal: float = Field(
        0.8,
        ge=0,
        le=1,
        description="The supervisor's view: a channel whose service level of the last 30 "
        "minutes falls below this is in alert.",
    )
    widget_poll_seconds: float = Field(
        2.0, gt=0, description="How often the widget and the console's chat fetch new messages."
    )
    message_max_chars: int = Field(
        2000, ge=1, le=20000, description="The longest chat message taken (422 above)."
    )
    heartbeat_seconds: float = Field(
        15.0, gt=0, description="How often the console tells chat its operator is there."
    )
    presence_timeout_seconds: float = Field(
        45.0,
        gt=0,
        description="An operator not heard from for this long is offline (their browser "
        "vanished); with the watcher's round, within a minute.",
    )
    presence_check_seconds: float = Field(
        2.0,
        gt=0,
        description="How often the presence watcher marks vanished operators offline and "
        "gives waiting chats to online operators.",
    )
    offer_seconds: float = Field(
        20.0,
        gt=0,
        description="How long auto-assignment's offer of a contact request to one operator "
        "lasts; not accepted by then, it goes to the next operator.",
    )
    seat_limit: int = Field(
        3,
        ge=1,
        le=50,
        description="The chats an operator holds at once, unless their token's "
        "chat_seat_limit says otherwise.",
    )
    handling_window_minutes: float = Field(
        60.0,
        gt=0,
        description="The wait estimate counts the chats that ended this recently.",
    )
    default_handling_minutes: float = Field(
        5.0,
        gt=0,
        description="How long a chat is taken to last when none ended within the window.",
    )
    canned_responses: tuple[CannedSetting, ...] = Field(
        tuple(CannedSetting(key=c.key, title=c.title, text=c.text) for c in DEFAULT_TABLE),
        description='Operators\' ready answers, as JSON: [{"key", "title", "text"}]; '
        "placeholders {customer_name}, {order_id}, {operator_name}.",
    )
    chat_token_secret: SecretStr = Field(
        SecretStr(PLACEHOLDER_SECRET),
        description="Signs the customers' chat tokens; at least 32 bytes in production "
        "(make one with `openssl rand -hex 32`).",
    )
    chat_token_hours: float = Field(
        12.0, gt=0, description="How long a customer's chat token stays valid."
    )
    shop_session_secret: SecretStr = Field(
        SecretStr(PLACEHOLDER_SHOP_SECRET),
        description="The secret the shop signs its session ids with for the widget "
        "(`data-session-token`); the invitation takes only those. At least 32 bytes in "
        "production.",
    )
    shop_session_hours: float = Field(
        24.0, gt=0, description="How long a shop's signed session token stays valid."
    )
    customer_messages_per_minute: float = Field(
        30.0, gt=0, description="A chat's customer writes (messages, end, rating) a minute."
    )
    customer_messages_burst: int = Field(
        10, ge=1, description="How many customer writes a chat may send at once."
    )
    public_calls_per_minute: float = Field(
        60.0,
        gt=0,
        description="The widget's public calls (start, invitation) a minute per client address.",
    )
    public_calls_burst: int = Field(
        20, ge=1, description="How many public calls a client address may make at once."
    )
    attachments_dir: Path = Field(
        Path.home() / ".local/state/contact-centre/chat-attachments",
        description="Where files sent in chats are kept, once per sha256 (a volume in compose).",
    )
    attachment_max_bytes: int = Field(
        10 * 1024 * 1024, ge=1, description="The largest photo or PDF sent in a chat (413 above)."
    )
    message_retention_days: float = Field(
        30.0,
        gt=0,
        description="How long message text is kept: chat's own messages and files older than "
        "this are deleted, and chat-events gets it as retention.ms.",
    )
    retention_check_seconds: float = Field(
        3600.0, gt=0, description="How often the retention round deletes what is past it."
    )

    @property
    def message_retention(self) -> timedelta:
        return timedelta(days=self.message_retention_days)

    @model_validator(mode="after")
    def _check_canned(self) -> "Settings":
        check_table(self.canned_table())
        return self

    def canned_table(self) -> tuple[Canned, ...]:
        return tuple(Canned(c.key, c.title, c.text) for c in self.canned_responses)

    @model_validator(mode="after")
    def _refuse_weak_secret(self) -> "Settings":
        if self.platform_environment != "production":  # development and tests run without one
            return self
        for name, secret, placeholder in (
            ("CHAT_CHAT_TOKEN_SECRET", self.chat_token_secret, PLACEHOLDER_SECRET),
            ("CHAT_SHOP_SESSION_SECRET", self.shop_session_secret, PLACEHOLDER_SHOP_SECRET),
        ):
            value = secret.get_secret_value()
            if value == placeholder or len(value.encode()) < MIN_SECRET_BYTES:
                raise ValueError(
                    f"{name} must be set, at least {MIN_SECRET_BYTES} bytes, in production"
                )
        return self

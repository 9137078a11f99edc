"""Customer interactions recorded by the CRM, topic `interactions`, key `customer_id` (the
interaction's own id while nobody is identified: unknown callers, anonymous chats).

One interaction per contact (its id the call's `call_id` or the chat's `chat_id`); each change
(answered, ended, the operator's reason and notes, a customer attached, a case) publishes the
whole interaction again as `interaction.recorded` with a higher `version`: readers keep the
latest. The one a customer was attached by (manual identification) carries the `link`."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal, Self

from pydantic import Field, model_validator

from cc_schemas.envelope import Event, EventPart, Id, UtcDatetime


class InteractionChannel(StrEnum):
    PHONE = "phone"
    CHAT = "chat"
    EMAIL = "email"
    SOCIAL = "social"


class Direction(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class InteractionLink(EventPart):
    """A customer attached to a contact recognition had not named (manual identification)."""

    customer_id: Id
    previous_level: str = Field(
        description="What recognition had said: `unknown`, `ambiguous` or `anonymous`."
    )
    linked_by: Id = Field(description="The operator's sign-in subject.")
    linked_at: UtcDatetime


class InteractionRecorded(Event):
    """One contact on one channel, the unit of AHT, first-response time and FCR."""

    event_type: Literal["interaction.recorded"] = "interaction.recorded"
    interaction_id: Id
    customer_id: Id | None = Field(
        default=None, description="Null while nobody is identified (unknown, anonymous)."
    )
    case_id: str | None = Field(
        default=None, description="CRM case linking contacts about the same problem."
    )
    channel: InteractionChannel
    direction: Direction
    agent: str | None = Field(default=None, description="Operator id who handled it.")
    external_id: str | None = Field(
        default=None,
        description="Id of the underlying call, chat or mail in its own system.",
        examples=["1710408413.4211"],
    )
    started_at: UtcDatetime
    first_response_at: UtcDatetime | None = Field(
        default=None, description="First agent reply (chat, e-mail, social); null if none yet."
    )
    ended_at: UtcDatetime | None = None
    resolved: bool | None = Field(default=None, description="Null when not (yet) judged.")
    version: int | None = Field(
        default=None, ge=1, description="The interaction's version: each change adds one."
    )
    level: str | None = Field(
        default=None, description="Recognition's level: known, ambiguous, unknown, anonymous."
    )
    queue: str | None = None
    wait_seconds: float | None = Field(default=None, ge=0)
    talk_seconds: float | None = Field(default=None, ge=0)
    outcome: str | None = Field(
        default=None, description="answered, abandoned, exited, transferred, ended (chat)."
    )
    reason: str | None = Field(default=None, description="Contact reason, set by the operator.")
    notes: str | None = Field(default=None, description="The operator's notes.")
    order_id: str | None = Field(default=None, description="The order the contact is about.")
    product: str | None = Field(default=None, description="The product the contact is about.")
    link: InteractionLink | None = Field(
        default=None, description="Set on the version that attached a customer by hand."
    )

    @model_validator(mode="after")
    def _times_in_order(self) -> Self:
        for name in ("first_response_at", "ended_at"):
            later = getattr(self, name)
            if later is not None and later < self.started_at:
                raise ValueError(f"{name} is before started_at")
        return self

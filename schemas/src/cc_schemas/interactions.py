"""Customer interactions recorded by the CRM, topic `interactions`, key `customer_id`."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal, Self

from pydantic import Field, model_validator

from cc_schemas.envelope import Event, Id, UtcDatetime


class InteractionChannel(StrEnum):
    PHONE = "phone"
    CHAT = "chat"
    EMAIL = "email"
    SOCIAL = "social"


class Direction(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class InteractionRecorded(Event):
    """One contact on one channel, the unit of AHT, first-response time and FCR."""

    event_type: Literal["interaction.recorded"] = "interaction.recorded"
    interaction_id: Id
    customer_id: Id
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

    @model_validator(mode="after")
    def _times_in_order(self) -> Self:
        for name in ("first_response_at", "ended_at"):
            later = getattr(self, name)
            if later is not None and later < self.started_at:
                raise ValueError(f"{name} is before started_at")
        return self

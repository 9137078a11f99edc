"""Customer satisfaction survey answers, topic `csat-responses`, key `customer_id` (for an
anonymous answer: its `chat_id`, else its `response_id`)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from cc_schemas.envelope import Event, Id
from cc_schemas.interactions import InteractionChannel


class CsatSubmitted(Event):
    event_type: Literal["csat.submitted"] = "csat.submitted"
    response_id: Id = Field(description="The survey tool's id of the answer; one per answer.")
    customer_id: Id | None = Field(default=None, description="Null for an anonymous answer.")
    score: int = Field(ge=1, le=5, description="4 and 5 count as satisfied.")
    scale: Literal[5] = Field(default=5, description="Points on the scale; only 5 in v1.")
    channel: InteractionChannel = Field(description="Channel of the contact being rated.")
    ticket_id: str | None = None
    chat_id: str | None = None
    call_id: str | None = None
    comment: str | None = None

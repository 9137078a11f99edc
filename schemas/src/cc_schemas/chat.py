"""Live chat, topic `chat-events`, key `chat_id` (written by the chat service)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal, Self

from pydantic import Field, model_validator

from cc_schemas.envelope import Event, Id


class ChatOrigin(StrEnum):
    CUSTOMER = "customer"  # the customer opened the chat
    PROACTIVE = "proactive"  # an operator reached out on a contact request


class ChatParty(StrEnum):
    CUSTOMER = "customer"
    AGENT = "agent"
    SYSTEM = "system"


class ChatEvent(Event):
    chat_id: Id


class ChatStarted(ChatEvent):
    event_type: Literal["chat.started"] = "chat.started"
    customer_id: str | None = Field(default=None, description="Null for anonymous visitors.")
    session_id: str | None = Field(default=None, description="The shop session, if known.")
    origin: ChatOrigin
    request_id: str | None = Field(
        default=None, description="The contact request answered; set when origin is proactive."
    )

    @model_validator(mode="after")
    def _proactive_has_request(self) -> Self:
        if self.origin is ChatOrigin.PROACTIVE and not self.request_id:
            raise ValueError("a proactive chat needs the request_id it answers")
        return self


class ChatAgentJoined(ChatEvent):
    event_type: Literal["chat.agent_joined"] = "chat.agent_joined"
    agent: Id = Field(description="Operator id.")


class ChatMessageSent(ChatEvent):
    event_type: Literal["chat.message_sent"] = "chat.message_sent"
    message_id: Id
    sender: ChatParty
    agent: str | None = Field(default=None, description="Operator id when sender is agent.")
    text: str


class ChatEnded(ChatEvent):
    event_type: Literal["chat.ended"] = "chat.ended"
    ended_by: ChatParty = Field(description="`system` for timeouts and shutdowns.")
    resolved: bool | None = None


AnyChatEvent = Annotated[
    ChatStarted | ChatAgentJoined | ChatMessageSent | ChatEnded,
    Field(discriminator="event_type"),
]

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


class ChatAssignment(StrEnum):
    """How an operator came to hold a chat."""

    OPERATOR = "operator"  # the operator took it (accepted its request, or joined it)
    AUTO = "auto"  # the chat service assigned it to the online operator with most free seats
    TRANSFER = "transfer"  # another operator transferred it


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
    email: str | None = Field(
        default=None,
        description="The visitor's e-mail as they gave it, for recognition; null if not given.",
    )
    social_handle: str | None = Field(
        default=None,
        description="The visitor's social handle (a chat from a social network); null if none.",
    )

    @model_validator(mode="after")
    def _proactive_has_request(self) -> Self:
        if self.origin is ChatOrigin.PROACTIVE and not self.request_id:
            raise ValueError("a proactive chat needs the request_id it answers")
        return self


class ChatAgentJoined(ChatEvent):
    event_type: Literal["chat.agent_joined"] = "chat.agent_joined"
    agent: Id = Field(description="Operator id.")
    via: ChatAssignment | None = Field(
        default=None, description="How the operator came to hold the chat; null: not said."
    )


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


class ChatTransferred(ChatEvent):
    """The chat leaves its operator for another operator (who then joins: chat.agent_joined,
    via transfer) or for a team's waiting chats. The note to the colleague is not published."""

    event_type: Literal["chat.transferred"] = "chat.transferred"
    from_agent: Id = Field(description="The operator who held the chat.")
    to_agent: Id | None = Field(default=None, description="The operator it goes to, if one.")
    to_team: str | None = Field(default=None, description="The team it goes to, if no operator.")

    @model_validator(mode="after")
    def _goes_somewhere(self) -> Self:
        if (self.to_agent is None) == (self.to_team is None):
            raise ValueError("a transfer goes to one operator or to one team")
        return self


AnyChatEvent = Annotated[
    ChatStarted | ChatAgentJoined | ChatMessageSent | ChatEnded | ChatTransferred,
    Field(discriminator="event_type"),
]

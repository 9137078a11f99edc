"""What the routes answer and take: a request as an operator sees it, with its expiry
countdown, and the body of a decline; a chat, its messages, and the bodies of a message, a
customer's start and their satisfaction answer."""

from datetime import UTC, datetime

from pydantic import BaseModel, Field

from cc_schemas import (
    ChatOrigin,
    ChatParty,
    ContactChannel,
    ContactContext,
    ContactPriority,
    StrategicLevel,
)
from chat.conversation import Chat, ChatState, Message, is_typing
from chat.queue import ContactRequest, State, offered_to, seconds_left


class RequestView(BaseModel):
    request_id: str
    state: State
    rule: str
    reason: str | None = Field(description="Why, in words for the operator")
    priority: ContactPriority
    strategic_level: StrategicLevel | None = Field(
        description="From the request when it carries one (crm is not consulted yet)"
    )
    channel: ContactChannel
    session_id: str
    customer_id: str | None
    context: ContactContext
    requested_at: datetime
    expires_at: datetime
    seconds_left: int = Field(description="Countdown to expiry; 0 once expired")
    operator_id: str | None = Field(description="Who accepted or declined it")
    decided_at: datetime | None
    decline_reason: str | None
    offered_to: str | None = Field(
        None, description="The operator auto-assignment offers the waiting request to now"
    )
    offered_until: datetime | None = Field(None, description="When that offer lapses")


class QueueView(BaseModel):
    requests: list[RequestView] = Field(
        description="Most urgent first, then most strategic, then oldest"
    )
    at: datetime = Field(description="The time the countdowns are counted from")


class DeclineBody(BaseModel):
    reason: str = Field(min_length=1, max_length=500, examples=["customer already on the phone"])


def request_view(request: ContactRequest, now: datetime) -> RequestView:
    return RequestView(
        request_id=request.request_id,
        state=request.state,
        rule=request.rule,
        reason=request.reason,
        priority=request.priority,
        strategic_level=request.strategic_level,
        channel=request.channel,
        session_id=request.session_id,
        customer_id=request.customer_id,
        context=request.context,
        requested_at=request.requested_at,
        expires_at=request.expires_at,
        seconds_left=seconds_left(request, now),
        operator_id=request.operator_id,
        decided_at=request.decided_at,
        decline_reason=request.decline_reason,
        offered_to=offered_to(request, now),
        offered_until=request.offered_until if offered_to(request, now) else None,
    )


class ChatView(BaseModel):
    chat_id: str
    origin: ChatOrigin
    state: ChatState
    request_id: str | None = Field(description="The contact request a proactive chat answers")
    customer_id: str | None
    session_id: str | None
    operator_id: str | None = Field(description="None while the chat waits for an operator")
    started_at: datetime
    ended_at: datetime | None
    ended_by: ChatParty | None
    last_seq: int = Field(description="The number of the chat's last message")
    rated: bool = Field(description="The customer has answered the satisfaction question")
    team: str | None = Field(
        default=None, description="The team a transfer sent it to, while it waits for them"
    )
    customer_typing: bool = Field(default=False, description="The customer is typing now")
    agent_typing: bool = Field(default=False, description="The operator is typing now")
    customer_read_seq: int = Field(
        default=0, description="The customer has been shown every message up to this one"
    )
    agent_read_seq: int = Field(
        default=0, description="The holding operator has been shown every message up to this one"
    )


class AttachmentView(BaseModel):
    attachment_id: str
    filename: str
    content_type: str = Field(description="Detected from the content: a photo or a PDF")
    size: int


class MessageView(BaseModel):
    seq: int = Field(description="1, 2, 3... in the order stored: ask ?after= the last seen")
    message_id: str
    sender: ChatParty
    agent: str | None
    text: str = Field(description="The words, or the name of the file it carries")
    sent_at: datetime
    attachment: AttachmentView | None = Field(
        None, description="The file it carries: download it from the chat's attachments route"
    )


class MessagesView(BaseModel):
    chat: ChatView
    messages: list[MessageView] = Field(description="After `?after=`, in order")


class ChatsView(BaseModel):
    chats: list[ChatView] = Field(
        description="The operator's open chats, then customers' chats nobody has taken"
    )


class MessageBody(BaseModel):
    text: str = Field(description="The message; blanks around it are dropped")
    message_id: str | None = Field(
        None,
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="The sender's own id: a message sent again with it is stored once",
    )


class StartBody(BaseModel):
    session_id: str | None = Field(
        None, min_length=1, max_length=200, description="The shop session the widget runs in"
    )


class ChatTicket(BaseModel):
    chat_id: str
    token: str = Field(description="Send as `Authorization: Chat <token>` on the widget routes")


class CsatBody(BaseModel):
    score: int = Field(ge=1, le=5, description="1 (very unhappy) to 5 (very happy)")
    comment: str | None = Field(None, max_length=1000)


def chat_view(chat: Chat, now: datetime | None = None) -> ChatView:
    now = now or datetime.now(UTC)
    return ChatView(
        chat_id=chat.chat_id,
        origin=chat.origin,
        state=chat.state,
        request_id=chat.request_id,
        customer_id=chat.customer_id,
        session_id=chat.session_id,
        operator_id=chat.operator_id,
        started_at=chat.started_at,
        ended_at=chat.ended_at,
        ended_by=chat.ended_by,
        last_seq=chat.last_seq,
        rated=chat.csat_score is not None,
        team=chat.team,
        customer_typing=is_typing(chat.customer_typing_at, now),
        agent_typing=is_typing(chat.agent_typing_at, now),
        customer_read_seq=chat.customer_read_seq,
        agent_read_seq=chat.agent_read_seq,
    )


def message_view(message: Message) -> MessageView:
    return MessageView(
        seq=message.seq,
        message_id=message.message_id,
        sender=message.sender,
        agent=message.agent,
        text=message.text,
        sent_at=message.sent_at,
        attachment=AttachmentView(
            attachment_id=message.attachment.attachment_id,
            filename=message.attachment.filename,
            content_type=message.attachment.content_type,
            size=message.attachment.size,
        )
        if message.attachment
        else None,
    )

"""What the console shows of a chat and its messages, in the operator's language. Pure: chats
and messages in, words out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cc_schemas import ChatOrigin, ChatParty
from chat.console.messages import MESSAGES
from chat.conversation import Chat, ChatState, Message, is_typing


@dataclass(frozen=True)
class ChatItem:
    chat_id: str
    customer: str
    about: str
    status: str
    waiting: bool  # no operator yet: the operator may take it
    open_label: str
    take_label: str


@dataclass(frozen=True)
class ChatPanel:
    chat_id: str
    title: str
    about: str
    writable: bool  # open and held by this operator


@dataclass(frozen=True)
class MessageLine:
    seq: int
    sender: str  # agent, customer or system: the class that styles it
    who: str
    time: str
    at: str
    text: str


def chat_item(chat: Chat, lang: str) -> ChatItem:
    t = MESSAGES[lang]
    customer = chat.customer_id or t["anonymous"]
    waiting = chat.operator_id is None
    status = t["waiting_operator"] if waiting else t["yours"]
    count = t["messages_count"].format(count=chat.last_seq)
    return ChatItem(
        chat_id=chat.chat_id,
        customer=customer,
        about=_about(chat, lang),
        status=f"{status} · {count}",
        waiting=waiting,
        open_label=t["open_chat_label"].format(customer=customer),
        take_label=t["take_chat_label"].format(customer=customer),
    )


def chat_panel(chat: Chat, operator_id: str, lang: str) -> ChatPanel:
    customer = chat.customer_id or MESSAGES[lang]["anonymous"]
    return ChatPanel(
        chat_id=chat.chat_id,
        title=MESSAGES[lang]["chat_with"].format(customer=customer),
        about=_about(chat, lang),
        writable=chat.state is ChatState.OPEN and chat.operator_id == operator_id,
    )


def message_line(message: Message, operator_id: str, lang: str) -> MessageLine:
    t = MESSAGES[lang]
    if message.sender is ChatParty.CUSTOMER:
        who = t["customer_said"]
    elif message.agent == operator_id:
        who = t["you"]
    else:
        who = t["operator_said"].format(agent=message.agent)
    return MessageLine(
        seq=message.seq,
        sender=message.sender.value,
        who=who,
        time=message.sent_at.strftime("%H:%M"),
        at=message.sent_at.isoformat(),
        text=message.text,
    )


def _about(chat: Chat, lang: str) -> str:
    t = MESSAGES[lang]
    if chat.origin is ChatOrigin.PROACTIVE:
        return t["about_proactive"].format(request_id=chat.request_id, session_id=chat.session_id)
    return t["about_customer"]


def activity(chat: Chat, lang: str, now: datetime) -> str:
    """What the operator sees of the customer: typing, or having seen the chat so far."""
    t = MESSAGES[lang]
    if chat.state is ChatState.ENDED:
        return ""
    if is_typing(chat.customer_typing_at, now):
        return t["customer_typing"]
    if chat.last_seq and chat.customer_read_seq >= chat.last_seq:
        return t["customer_seen"]
    return ""

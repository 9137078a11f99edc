"""A simulated shop customer in a live chat, pure: what they say when an operator writes, when
they end the chat themselves, and how they rate it. The adapter (`cc_dev.chat_customers`)
reads the chat and carries the moves out through chat's widget API.

A customer answers each operator message (several at once count as one turn) with the next of
their canned lines; after the last one they thank the operator and end the chat; once the chat
has ended, by either side, they answer the satisfaction question once. Lines and score follow
from the chat id, so a run is repeatable."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace

OPENERS = (
    "Hello! Is the wooden train set suitable for a three-year-old?",
    "Hi, my order has not arrived yet. Can you check it?",
    "Good morning, can I still change the delivery address of my order?",
    "Hello, the doll house arrived with a broken door. What can I do?",
)
LINES = (
    "Thanks! And how long does delivery take?",
    "Is it possible to pay on delivery?",
    "OK, that helps.",
)
CLOSING = "That's all I needed, thank you. Bye!"
SCORES = (5, 5, 5, 5, 4, 4, 4, 3, 3, 2)  # mostly content, as the shop's customers are
COMMENTS = {
    5: "Very helpful, thank you!",
    4: "Quick and kind.",
    3: "Fine, but it took a while.",
    2: "I expected a clearer answer.",
    1: "Not helpful.",
}


@dataclass(frozen=True)
class Say:
    text: str


@dataclass(frozen=True)
class End:
    pass


@dataclass(frozen=True)
class Rate:
    score: int
    comment: str


Move = Say | End | Rate


@dataclass(frozen=True)
class Customer:
    """One customer's side of one chat: how many operator turns they have answered."""

    chat_id: str
    answered: int = 0  # operator messages already answered
    replies: int = 0  # canned lines said
    ended: bool = False  # they ended it themselves
    rated: bool = False

    @property
    def done(self) -> bool:
        return self.rated


def opener(chat_id: str) -> str:
    """What a customer who starts a chat writes first."""
    return OPENERS[_pick(chat_id, "opener", len(OPENERS))]


def rating(chat_id: str) -> Rate:
    score = SCORES[_pick(chat_id, "score", len(SCORES))]
    return Rate(score, COMMENTS[score])


def next_moves(
    customer: Customer, agent_messages: int, chat_ended: bool
) -> tuple[Customer, list[Move]]:
    """The customer after reading the chat (`agent_messages` the operator has written so far,
    whether it has ended), and what they do now."""
    if chat_ended:
        if customer.rated:
            return customer, []
        return replace(customer, rated=True), [rating(customer.chat_id)]
    if agent_messages <= customer.answered or customer.ended:
        return customer, []
    answered = replace(customer, answered=agent_messages)
    if customer.replies < len(LINES):
        return replace(answered, replies=customer.replies + 1), [Say(LINES[customer.replies])]
    return replace(answered, ended=True), [Say(CLOSING), End()]


def _pick(chat_id: str, what: str, choices: int) -> int:
    digest = hashlib.sha256(f"{chat_id}:{what}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % choices

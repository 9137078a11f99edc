"""FAQ: an editor's decision on a topic candidate, and what a search answers. Every answer
carries the way to a person (chat or call-back), so self-service never leaves the customer
alone. Pure."""

from dataclasses import dataclass
from typing import Literal

Decision = Literal["approved", "rejected"]
SHORT_QUERY_WORDS = 3  # up to this many words, typos are forgiven (trigrams on the question)


@dataclass(frozen=True)
class Approval:
    question: str
    answer: str
    language: Literal["it", "en"]


@dataclass(frozen=True)
class FoundFaq:
    faq_id: int
    question: str
    answer: str
    language: str
    score: float


@dataclass(frozen=True)
class PersonWay:
    """How the customer reaches a person from any FAQ answer."""

    chat_url: str
    callback_url: str


def is_short(query: str) -> bool:
    return len(query.split()) <= SHORT_QUERY_WORDS


class CandidateNotFound(LookupError):
    pass


class AlreadyDecided(ValueError):
    pass

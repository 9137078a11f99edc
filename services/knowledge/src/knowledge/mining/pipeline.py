"""The mining pipeline end to end: a case's raw words are cleaned, scrubbed, given a language
and normalised (`prepare`, once, when the case arrives), then the prepared cases are grouped
into topics, each labelled and given a draft answer (`mine`). Pure but for the embedder given."""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from knowledge.mining.clean import clean
from knowledge.mining.drafts import Resolution, commonest_resolution, representative
from knowledge.mining.keyphrases import key_phrases
from knowledge.mining.language import Language, detect_language
from knowledge.mining.normalise import content_words, normalise
from knowledge.mining.scrub import scrub
from knowledge.mining.topics import Embedder, Progress, group


@dataclass(frozen=True)
class RawCase:
    case_id: str
    question: str
    resolution: str
    closed_at: datetime
    personal: tuple[str, ...] = ()  # strings the source knows are personal (the customer's name)


@dataclass(frozen=True)
class PreparedCase:
    case_id: str
    question: str  # cleaned, scrubbed
    resolution: str  # cleaned, scrubbed; empty when the source gave none
    language: Language
    closed_at: datetime


@dataclass(frozen=True)
class TopicCandidate:
    key_phrases: tuple[str, ...]
    question: str
    answer: str
    language: Language
    case_ids: tuple[str, ...]
    last_case_at: datetime


def prepare(case: RawCase) -> PreparedCase | None:
    """The case as mining keeps it, with no personal data; None when no question is left."""
    question = scrub(clean(case.question), case.personal)
    if not content_words(question, detect_language(question)):
        return None
    language = detect_language(question)
    resolution = scrub(clean(case.resolution), case.personal)
    return PreparedCase(case.case_id, question, resolution, language, case.closed_at)


def mine(
    cases: Sequence[PreparedCase],
    embedder: Embedder,
    seed: int = 0,
    progress: Progress | None = None,
) -> list[TopicCandidate]:
    """Topic candidates for the cases, most cases first."""
    if not cases:
        return []
    say = progress or (lambda _: None)
    say(f"embedding {len(cases)} questions")
    vectors = embedder.embed([c.question for c in cases])
    grouping = group(vectors, seed, progress)
    members: dict[int, list[int]] = defaultdict(list)
    for index, topic in enumerate(grouping.labels.tolist()):
        members[topic].append(index)
    say(f"labelling {len(members)} topics")
    phrases = key_phrases(
        {t: [" ".join(_words(cases[i])) for i in rows] for t, rows in members.items()}
    )
    candidates = [_candidate(cases, rows, vectors[rows], phrases[t]) for t, rows in members.items()]
    return sorted(candidates, key=lambda c: (-len(c.case_ids), c.question))


def _words(case: PreparedCase) -> list[str]:
    return content_words(case.question, case.language)


def _candidate(
    cases: Sequence[PreparedCase], rows: list[int], vectors: np.ndarray, phrases: Iterable[str]
) -> TopicCandidate:
    topic_cases = [cases[i] for i in rows]
    resolutions = [
        Resolution(c.resolution, normalise(c.resolution, c.language), c.closed_at)
        for c in topic_cases
    ]
    best = commonest_resolution(resolutions)
    languages = [c.language for c in topic_cases]
    return TopicCandidate(
        key_phrases=tuple(phrases),
        question=representative([c.question for c in topic_cases], vectors),
        answer=best.text if best else "",
        language=max(set(languages), key=languages.count),
        case_ids=tuple(c.case_id for c in topic_cases),
        last_case_at=max(c.closed_at for c in topic_cases),
    )

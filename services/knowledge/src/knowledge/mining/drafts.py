"""The draft FAQ of a topic: the question nearest the topic's centre, and the resolution that
closed most of its cases (resolutions compared by their normalised words, the most recent
wording shown). Pure."""

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from knowledge.mining.topics import Vectors


@dataclass(frozen=True)
class Resolution:
    text: str  # cleaned and scrubbed
    normalised: str
    at: datetime


def representative(questions: Sequence[str], vectors: Vectors) -> str:
    """The question whose vector is nearest the mean of the topic's vectors."""
    centre = vectors.mean(axis=0)
    return questions[int(np.argmax(vectors @ centre))]


def commonest_resolution(resolutions: Sequence[Resolution]) -> Resolution | None:
    """The resolution shared by most cases; on a tie, the one used most recently."""
    usable = [r for r in resolutions if r.normalised]
    if not usable:
        return None
    counts = Counter(r.normalised for r in usable)
    latest = {r.normalised: r for r in sorted(usable, key=lambda r: r.at)}
    best = max(counts, key=lambda key: (counts[key], latest[key].at))
    return latest[best]

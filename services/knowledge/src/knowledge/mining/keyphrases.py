"""Labelling each topic with its key phrases: class-based TF-IDF, each topic's content words
taken as one document, so a phrase scores high when it is frequent in that topic and found in
few others; unigrams and bigrams, unstemmed, which people can read. Pure (scikit-learn)."""

from collections.abc import Mapping, Sequence

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer


def key_phrases(documents: Mapping[int, Sequence[str]], per_topic: int = 5) -> dict[int, list[str]]:
    """The `per_topic` best phrases of each topic, given each topic's content-word texts."""
    topics = sorted(documents)
    joined = [" ".join(documents[t]) for t in topics]
    if not any(joined):
        return {t: [] for t in topics}
    vectoriser = CountVectorizer(ngram_range=(1, 2))
    counts = vectoriser.fit_transform(joined).astype(np.float64)
    frequency = counts.multiply(1.0 / np.maximum(counts.sum(axis=1), 1)).tocsr()
    topics_with = np.asarray((counts > 0).sum(axis=0)).ravel()
    idf = np.log1p(len(topics) / np.maximum(topics_with, 1))
    scores = frequency.multiply(idf).tocsr()
    vocabulary = vectoriser.get_feature_names_out()
    result: dict[int, list[str]] = {}
    for row, topic in enumerate(topics):
        line = scores.getrow(row).toarray().ravel()
        best = np.argsort(-line)[: per_topic * 3]
        result[topic] = _without_overlaps([str(vocabulary[i]) for i in best if line[i] > 0])[
            :per_topic
        ]
    return result


def _without_overlaps(phrases: list[str]) -> list[str]:
    """A phrase sharing a word with a better one adds little: skipped."""
    kept: list[str] = []
    seen: set[str] = set()
    for phrase in phrases:
        words = set(phrase.split())
        if words & seen:
            continue
        kept.append(phrase)
        seen |= words
    return kept

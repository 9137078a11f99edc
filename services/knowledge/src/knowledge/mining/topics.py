"""Grouping similar questions into topics: k-means over sentence vectors, the number of topics
chosen by the silhouette (cosine) over a geometric grid around sqrt(n), measured on a sample so
that 100,000 cases cost as much to decide as 5,000. Pure (numpy and scikit-learn)."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import NDArray
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.metrics import silhouette_score

Vectors = NDArray[np.float32]
Progress = Callable[[str], None]

SAMPLE = 5_000
GRID_STEPS = 7
LARGE = 20_000  # above this many cases the final fit is mini-batch k-means


class Embedder(Protocol):
    """Turns texts into unit-length vectors, one row per text."""

    def embed(self, texts: Sequence[str]) -> Vectors: ...


@dataclass(frozen=True)
class Grouping:
    labels: NDArray[np.int64]  # a topic number per case
    centroids: Vectors
    silhouettes: dict[int, float]  # k -> silhouette measured while choosing


def candidate_counts(cases: int, steps: int = GRID_STEPS) -> list[int]:
    """Topic counts worth trying: from sqrt(n/2) to 2·sqrt(n), geometric, at least 2 each and
    fewer than the cases."""
    if cases < 4:
        return [1]
    low, high = max(2.0, np.sqrt(cases / 2)), min(cases - 1, 2 * np.sqrt(cases))
    counts = np.unique(np.geomspace(low, max(low, high), steps).round().astype(int))
    return [int(c) for c in counts if 2 <= c < cases]


def _fit(vectors: Vectors, k: int, seed: int) -> KMeans | MiniBatchKMeans:
    if len(vectors) > LARGE:
        return MiniBatchKMeans(k, random_state=seed, n_init=1, batch_size=4096).fit(vectors)
    return KMeans(k, random_state=seed, n_init=1).fit(vectors)


def choose_count(
    vectors: Vectors, seed: int = 0, progress: Progress | None = None
) -> dict[int, float]:
    """The silhouette of each candidate count, on a sample of the vectors."""
    rng = np.random.default_rng(seed)
    sample = vectors
    if len(vectors) > SAMPLE:
        sample = vectors[rng.choice(len(vectors), SAMPLE, replace=False)]
    scores: dict[int, float] = {}
    # The grid belongs to the whole set's size; on a sample the same count is asked for.
    for k in candidate_counts(len(vectors)):
        k_here = min(k, len(sample) - 1)
        labels = KMeans(k_here, random_state=seed, n_init=1).fit_predict(sample)
        scores[k] = float(silhouette_score(sample, labels, metric="cosine", random_state=seed))
        if progress:
            progress(f"{k} topics: silhouette {scores[k]:.4f}")
    return scores


def group(vectors: Vectors, seed: int = 0, progress: Progress | None = None) -> Grouping:
    """Topics for the vectors, their number decided by the best silhouette."""
    if len(vectors) < 4:
        return Grouping(np.zeros(len(vectors), np.int64), vectors.mean(0, keepdims=True), {})
    scores = choose_count(vectors, seed, progress)
    best = max(scores, key=lambda k: scores[k])
    model = _fit(vectors, best, seed)
    return Grouping(model.labels_.astype(np.int64), model.cluster_centers_, scores)

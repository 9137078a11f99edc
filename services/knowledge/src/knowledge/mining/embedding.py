"""Sentence vectors for grouping. WordLlama: static token embeddings (256 dimensions, 16 MB)
shipped inside its wheel and loaded from the installed package's own folder, so nothing is
downloaded, ever (without `cache_dir` pointing there its tokenizer lookup misses the shipped
file). The TF-IDF alternative stands beside it for the benchmark's comparison."""

from collections.abc import Sequence
from functools import cache
from pathlib import Path

import numpy as np
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from knowledge.mining.topics import Vectors

WORDLLAMA_DIMENSIONS = 256


@cache
def _wordllama():  # type: ignore[no-untyped-def]  # wordllama ships no types
    import wordllama

    return wordllama.WordLlama.load(
        dim=WORDLLAMA_DIMENSIONS,
        disable_download=True,
        cache_dir=Path(wordllama.__file__).parent,
    )


class WordLlamaEmbedder:
    """Unit vectors from WordLlama's shipped model; loaded once per process."""

    def embed(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, WORDLLAMA_DIMENSIONS), np.float32)
        vectors = _wordllama().embed(list(texts), norm=True)
        return np.asarray(vectors, dtype=np.float32)


class TfidfEmbedder:
    """Unit vectors from TF-IDF (1-2 grams, sublinear tf) reduced by truncated SVD: fitted on
    the texts it is given, so it suits one batch at a time."""

    def __init__(self, dimensions: int = 200, seed: int = 0) -> None:
        self.dimensions = dimensions
        self.seed = seed

    def embed(self, texts: Sequence[str]) -> Vectors:
        matrix = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True).fit_transform(
            texts
        )
        components = max(1, min(self.dimensions, matrix.shape[1] - 1, len(texts) - 1))
        reduced = TruncatedSVD(components, random_state=self.seed).fit_transform(matrix)
        return np.asarray(normalize(reduced), dtype=np.float32)

"""Normalising a text for grouping and labelling: lower case, placeholders and stopwords out,
each word stemmed by the Snowball stemmer of its language (snowballstemmer, pure Python;
cached, since support texts reuse a small vocabulary). Pure."""

import re
from functools import lru_cache

import snowballstemmer

from knowledge.mining.language import ENGLISH_STOPWORDS, ITALIAN_STOPWORDS, Language, words

_STEMMERS = {"it": snowballstemmer.stemmer("italian"), "en": snowballstemmer.stemmer("english")}
_STOPWORDS = {"it": ITALIAN_STOPWORDS, "en": ENGLISH_STOPWORDS}
# The scrubber's placeholders ([name], [phone]...) say nothing about the question.
_PLACEHOLDER = re.compile(r"\[(name|phone|email|address|number|link)\]")


@lru_cache(maxsize=200_000)
def stem(word: str, language: Language) -> str:
    return str(_STEMMERS[language].stemWord(word))


def content_words(text: str, language: Language) -> list[str]:
    """The words that carry meaning, lower case, unstemmed (for labels people read)."""
    stop = _STOPWORDS[language]
    return [w for w in words(_PLACEHOLDER.sub(" ", text)) if w not in stop and len(w) > 1]


def normalise(text: str, language: Language) -> str:
    """The stemmed content words, space-separated."""
    return " ".join(stem(w, language) for w in content_words(text, language))

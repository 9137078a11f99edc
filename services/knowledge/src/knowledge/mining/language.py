"""Which language a text is in, Italian or English, by the share of each language's stopwords
among its words. Two languages only, so a rule that can be read and tested beats a general
language identifier's model (py3langid, lingua): short support texts are mostly function words,
and this rule needs no model file. Pure."""

import re
from importlib import resources
from typing import Literal

Language = Literal["it", "en"]


def _stopwords(name: str) -> frozenset[str]:
    text = resources.files(__name__.rpartition(".")[0]).joinpath(name).read_text(encoding="utf-8")
    return frozenset(
        w for line in text.splitlines() if not line.startswith("#") for w in line.split()
    )


ITALIAN_STOPWORDS = _stopwords("stopwords-it.txt")
ENGLISH_STOPWORDS = _stopwords("stopwords-en.txt")
_WORD = re.compile(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)?")


def words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def detect_language(text: str, default: Language = "en") -> Language:
    """Italian or English, whichever has more of its stopwords in the text; `default` on a tie
    (no stopword at all, or as many of each)."""
    tokens = words(text)
    italian = sum(t in ITALIAN_STOPWORDS for t in tokens)
    english = sum(t in ENGLISH_STOPWORDS for t in tokens)
    if italian == english:
        return default
    return "it" if italian > english else "en"

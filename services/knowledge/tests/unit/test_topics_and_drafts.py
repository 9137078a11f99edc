"""Grouping, labelling and drafting, on small hand-made cases with a stand-in embedder whose
vectors are known, and once with WordLlama's shipped model."""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import numpy as np

from knowledge.mining.drafts import Resolution, commonest_resolution
from knowledge.mining.embedding import WordLlamaEmbedder
from knowledge.mining.keyphrases import key_phrases
from knowledge.mining.pipeline import PreparedCase, RawCase, mine, prepare
from knowledge.mining.topics import Vectors, candidate_counts, group

T0 = datetime(2026, 11, 1, tzinfo=UTC)


class KeywordEmbedder:
    """One axis per keyword: a text's vector points at the keywords it holds."""

    KEYWORDS = ("refund", "broken", "delivery", "battery")

    def embed(self, texts: Sequence[str]) -> Vectors:
        rng = np.random.default_rng(0)
        rows = [[float(k in t.lower()) for k in self.KEYWORDS] for t in texts]
        vectors = np.asarray(rows, np.float32) + rng.normal(0, 0.01, (len(texts), 4))
        return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def case(n: int, question: str, resolution: str, days: int = 0) -> PreparedCase:
    prepared = prepare(RawCase(f"c{n}", question, resolution, T0 + timedelta(days=days)))
    assert prepared is not None
    return prepared


def test_candidate_counts_span_half_to_twice_the_root() -> None:
    assert candidate_counts(3080) == [39, 47, 55, 66, 78, 93, 111]
    assert candidate_counts(3) == [1]


def test_well_separated_groups_are_found_with_their_count() -> None:
    centres = np.eye(11, dtype=np.float32)  # 242 points: 11 is the grid's smallest count
    rng = np.random.default_rng(1)
    points = np.repeat(centres, 22, axis=0) + rng.normal(0, 0.02, (242, 11)).astype(np.float32)
    points /= np.linalg.norm(points, axis=1, keepdims=True)
    labels = group(points).labels.tolist()
    assert [len(set(labels[i * 22 : i * 22 + 22])) for i in range(11)] == [1] * 11
    assert len(set(labels)) == 11


def test_key_phrases_are_what_sets_a_topic_apart() -> None:
    phrases = key_phrases(
        {
            0: ["refund late", "refund missing", "refund late bank"],
            1: ["battery flat", "battery dead toy", "battery flat"],
        },
        per_topic=2,
    )
    assert phrases == {0: ["refund", "late"], 1: ["battery", "flat"]}


def test_the_resolution_shared_by_most_cases_wins_ties_going_to_the_latest() -> None:
    resolutions = [
        Resolution("Refund sent.", "refund sent", T0),
        Resolution("Refunds sent!", "refund sent", T0 + timedelta(days=2)),
        Resolution("Replacement shipped", "replac ship", T0 + timedelta(days=5)),
    ]
    assert commonest_resolution(resolutions) == resolutions[1]
    assert commonest_resolution([]) is None


def test_mining_groups_cases_and_drafts_each_topic_without_personal_data() -> None:
    cases = [
        case(1, "Hi, my refund for ORD-12345 is late. Thanks, Mario Rossi", "Refund issued again"),
        case(2, "Where is my refund? call +39 333 123 4567", "Refund issued again", 1),
        case(3, "refund still missing, mail anna@example.com", "Sent the bank reference"),
        case(4, "The truck arrived broken", "Replacement shipped"),
        case(5, "Il camion è arrivato broken", "Replacement shipped", 3),
        case(6, "broken wheel on the toy", "Spare part sent"),
        case(7, "My delivery is late", "Carrier chased"),
        case(8, "delivery not arrived to Via Roma 12", "Carrier chased", 4),
    ]
    topics = mine(cases, KeywordEmbedder())
    by_cases = {t.case_ids: t for t in topics}
    assert sorted(by_cases) == [("c1", "c2", "c3"), ("c4", "c5", "c6"), ("c7", "c8")]
    refund = by_cases[("c1", "c2", "c3")]
    assert refund.answer == "Refund issued again"
    assert refund.key_phrases[0] == "refund"
    assert by_cases[("c4", "c5", "c6")].last_case_at == T0 + timedelta(days=3)
    drafts = " ".join(f"{t.question} {t.answer} {' '.join(t.key_phrases)}" for t in topics)
    for personal in ("Mario", "Rossi", "12345", "333", "anna@", "Roma 12"):
        assert personal not in drafts


def test_wordllama_loads_from_its_wheel_and_puts_paraphrases_closest() -> None:
    vectors = WordLlamaEmbedder().embed(
        ["my card has not arrived", "the card I ordered never came", "how do I change my pin"]
    )
    assert vectors.shape == (3, 256)
    assert float(vectors[0] @ vectors[1]) > float(vectors[0] @ vectors[2])

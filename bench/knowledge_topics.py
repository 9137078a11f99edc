"""knowledge's topic mining, measured: banking77's test split (3,080 questions, 77 intents)
grouped blind, against the labels, beside the pinned baseline in the same run; then the whole
pipeline's time on 100,000 generated cases.

    uv run python bench/knowledge_topics.py [--cases 100000]

The dataset is read where `KNOWLEDGE_BENCH_DATASET` points, by default `../shared/datasets/
banking77` beside the repository (a clean clone finds it there; it is not copied in: it is
CC BY 4.0, PolyAI-LDN/task-specific-datasets, Casanueva et al. 2020, see its README).

Methods, each timed in CPU seconds (both cores' time added):
- baseline (pinned): TF-IDF (1-2 grams, min_df 2, sublinear tf) + k-means, k = 77, seed 0;
- wordllama: the service's method, WordLlama's shipped static embeddings, k chosen by the
  silhouette (the labels' count is never given);
- tfidf-svd: stemmed TF-IDF reduced by SVD, the same choice of k;
- wordllama k=77: the embeddings with the labels' count given, for reference only.
Prints AMI, adjusted Rand index and topics found; the found count must land within 0.5-2x the
labels. Ends with `ratio:` = wordllama AMI / baseline AMI (target >= 1.5).
"""

import argparse
import csv
import os
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from sklearn.cluster import KMeans
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import adjusted_mutual_info_score, adjusted_rand_score

from knowledge.mining.embedding import TfidfEmbedder, WordLlamaEmbedder
from knowledge.mining.normalise import normalise
from knowledge.mining.pipeline import RawCase, mine, prepare
from knowledge.mining.topics import group

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATASET = REPO / ".." / "shared" / "datasets" / "banking77"


@dataclass(frozen=True)
class Result:
    name: str
    labels: list[int]
    cpu_seconds: float


def dataset_dir() -> Path:
    return Path(os.environ.get("KNOWLEDGE_BENCH_DATASET", str(DEFAULT_DATASET))).resolve()


def load(split: str) -> tuple[list[str], list[str]]:
    path = dataset_dir() / f"{split}.csv"
    if not path.exists():
        sys.exit(
            f"banking77 is missing: no {path}. Put shared/datasets/banking77 beside the "
            "repository or point KNOWLEDGE_BENCH_DATASET at a folder holding test.csv."
        )
    with path.open(newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    return [r["text"] for r in rows], [r["category"] for r in rows]


def timed(name: str, run: Callable[[], list[int]]) -> Result:
    start = time.process_time()
    labels = run()
    return Result(name, labels, time.process_time() - start)


def baseline(texts: list[str], k: int) -> list[int]:
    matrix = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True).fit_transform(texts)
    return KMeans(k, random_state=0, n_init="auto").fit_predict(matrix).tolist()


def wordllama_blind(texts: list[str]) -> list[int]:
    return group(WordLlamaEmbedder().embed(texts)).labels.tolist()


def tfidf_blind(texts: list[str]) -> list[int]:
    stemmed = [normalise(t, "en") for t in texts]
    return group(TfidfEmbedder().embed(stemmed)).labels.tolist()


def wordllama_given(texts: list[str], k: int) -> list[int]:
    vectors = WordLlamaEmbedder().embed(texts)
    return KMeans(k, random_state=0, n_init="auto").fit_predict(vectors).tolist()


def report(result: Result, truth: list[str], baseline_ami: float | None) -> float:
    ami = adjusted_mutual_info_score(truth, result.labels)
    ari = adjusted_rand_score(truth, result.labels)
    found = len(set(result.labels))
    labels = len(set(truth))
    within = "within" if labels / 2 <= found <= 2 * labels else "OUTSIDE"
    per_cpu = f"{ami / result.cpu_seconds:.3f} AMI/CPU s" if result.cpu_seconds else ""
    versus = f" ({ami / baseline_ami:.2f}x baseline)" if baseline_ami else ""
    print(
        f"{result.name:<16} AMI {ami:.3f}{versus}  ARI {ari:.3f}  topics {found} "
        f"({within} 0.5-2x {labels})  CPU {result.cpu_seconds:.2f} s  {per_cpu}"
    )
    return ami


GREETINGS = ["", "Hi, ", "Hello team,\n", "Buongiorno, ", "Ciao, ", "Dear shop,\n"]
SIGNATURES = ["", "\nThanks", "\nKind regards\n{name}", "\nGrazie, {name}", "\n-- \n{name}"]
NAMES = ["Mario Rossi", "Anna Verdi", "John Smith", "Giulia Bianchi", "Emily Brown"]
DETAILS = [
    "",
    " Order ORD-{n}.",
    " Call me on +39 333 {n:07d}.",
    " Mail {first}@example.com.",
    " Ship to Via Roma {m}, 20121 Milano.",
]


def generated_cases(count: int, texts: list[str], answers: list[str]) -> list[RawCase]:
    """Cases as mails and chats would bring them: a question with greeting, details and a
    signature, and one of a few answers for its intent."""
    rng = random.Random(0)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    cases = []
    for n in range(count):
        name = rng.choice(NAMES)
        detail = rng.choice(DETAILS).format(n=n, m=n % 200 + 1, first=name.split()[0].lower())
        question = (
            rng.choice(GREETINGS)
            + rng.choice(texts)
            + detail
            + rng.choice(SIGNATURES).format(name=name)
        )
        closed = start + timedelta(minutes=5 * n)
        cases.append(RawCase(f"c{n}", question, rng.choice(answers), closed, (name,)))
    return cases


def mining_time(count: int, texts: list[str]) -> None:
    answers = [
        "Refund sent to your card.",
        "A new card is on its way.",
        "Top-up reversed.",
        "We unblocked your account.",
        "The transfer arrives in two days.",
    ]
    cases = generated_cases(count, texts, answers)
    wall, cpu = time.perf_counter(), time.process_time()
    prepared = [p for p in (prepare(c) for c in cases) if p is not None]
    prepare_wall = time.perf_counter() - wall
    topics = mine(prepared, WordLlamaEmbedder())
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(
        f"mining {count:,} generated cases on {os.cpu_count()} cores: {wall:.1f} s wall "
        f"({prepare_wall:.1f} s cleaning and scrubbing, {wall - prepare_wall:.1f} s grouping, "
        f"labelling, drafting), {cpu:.1f} CPU s, {len(topics)} topics"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000, help="cases for the mining time")
    args = parser.parse_args()
    texts, truth = load("test")
    k = len(set(truth))
    print(f"banking77 test split from {dataset_dir()}: {len(texts)} questions, {k} labels")
    WordLlamaEmbedder().embed(["warm up"])  # the model's one-off load is not the method's cost
    base = timed("baseline k=77", lambda: baseline(texts, k))
    base_ami = report(base, truth, None)
    ours_ami = report(timed("wordllama", lambda: wordllama_blind(texts)), truth, base_ami)
    report(timed("tfidf-svd", lambda: tfidf_blind(texts)), truth, base_ami)
    report(timed("wordllama k=77", lambda: wordllama_given(texts, k)), truth, base_ami)
    mining_time(args.cases, load("train")[0])
    print(f"ratio: {ours_ami / base_ami:.2f}")


if __name__ == "__main__":
    np.random.seed(0)
    main()

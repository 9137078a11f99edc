"""knowledge's PostgreSQL: the mining input (cases, claim halves) and the mining runs with their
topic candidates. Every SQL query of the service is here."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from cc_runtime.postgres import Database
from knowledge.faq import AlreadyDecided, Approval, CandidateNotFound, FoundFaq
from knowledge.handlers import TopicView
from knowledge.intake import ClaimHalves, MiningCase
from knowledge.mining.pipeline import PreparedCase, TopicCandidate

CLAIM_FIELDS = ("customer_id", "question", "product", "resolution", "resolved", "closed_at")


class PostgresMiningInput:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def keep(self, case: MiningCase) -> None:
        p = case.prepared
        async with self._database.connection() as connection:
            await connection.execute(
                "INSERT INTO mining_cases (case_id, source, customer_id, question, resolution, "
                "language, product, closed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
                "ON CONFLICT (case_id) DO UPDATE SET customer_id = EXCLUDED.customer_id, "
                "question = EXCLUDED.question, resolution = EXCLUDED.resolution, "
                "language = EXCLUDED.language, product = EXCLUDED.product, "
                "closed_at = EXCLUDED.closed_at, stored_at = now()",
                p.case_id, case.source, case.customer_id, p.question, p.resolution,
                p.language, case.product, p.closed_at,
            )  # fmt: skip

    async def drop(self, case_id: str) -> None:
        async with self._database.connection() as connection:
            await connection.execute("DELETE FROM mining_cases WHERE case_id = $1", case_id)

    async def claim_half(self, ticket_id: str, **fields: Any) -> ClaimHalves:
        unknown = set(fields) - set(CLAIM_FIELDS)
        if unknown:
            raise ValueError(f"not a claim field: {sorted(unknown)}")
        names = list(fields)
        columns = ", ".join(["ticket_id", *names])
        values = ", ".join(f"${i}" for i in range(1, len(names) + 2))
        updates = (
            ", ".join(f"{n} = EXCLUDED.{n}" for n in names) or "ticket_id = EXCLUDED.ticket_id"
        )
        async with self._database.connection() as connection:
            row = await connection.fetchrow(
                f"INSERT INTO claim_halves ({columns}) VALUES ({values}) "  # noqa: S608 (names checked above)
                f"ON CONFLICT (ticket_id) DO UPDATE SET {updates} RETURNING *",
                ticket_id,
                *fields.values(),
            )
        return ClaimHalves(**dict(row))

    async def erase_customer(self, customer_id: str) -> int:
        """The customer's cases and waiting claims deleted (their topic-case links go with them);
        a topic left with no case goes too."""
        async with self._database.transaction() as connection:
            gone = await connection.fetch(
                "DELETE FROM mining_cases WHERE customer_id = $1 RETURNING case_id", customer_id
            )
            await connection.execute("DELETE FROM claim_halves WHERE customer_id = $1", customer_id)
            await connection.execute(
                "DELETE FROM topic_candidates t WHERE NOT EXISTS "
                "(SELECT 1 FROM topic_cases c WHERE c.topic_id = t.topic_id)"
            )
        return len(gone)


class PostgresMiningStore:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def cases(self) -> list[PreparedCase]:
        async with self._database.connection() as connection:
            rows = await connection.fetch(
                "SELECT case_id, question, resolution, language, closed_at FROM mining_cases "
                "ORDER BY case_id"
            )
        return [PreparedCase(**dict(r)) for r in rows]

    async def input_changed(self) -> bool:
        """Cases stored, or removed, since the last run started."""
        async with self._database.connection() as connection:
            row = await connection.fetchrow(
                "SELECT (SELECT count(*) FROM mining_cases) AS now_cases, "
                "(SELECT max(stored_at) FROM mining_cases) AS newest, r.cases, r.started_at "
                "FROM (SELECT 1) one LEFT JOIN LATERAL (SELECT cases, started_at FROM mining_runs "
                "ORDER BY run_id DESC LIMIT 1) r ON true"
            )
        if row["started_at"] is None:
            return bool(row["now_cases"])
        newer = row["newest"] is not None and row["newest"] >= row["started_at"]
        return bool(newer or row["now_cases"] != row["cases"])

    async def save_run(
        self, started: datetime, finished: datetime, cases: int, topics: Sequence[TopicCandidate]
    ) -> int:
        async with self._database.transaction() as connection:
            run_id: int = await connection.fetchval(
                "INSERT INTO mining_runs (started_at, finished_at, cases, topics) "
                "VALUES ($1, $2, $3, $4) RETURNING run_id",
                started, finished, cases, len(topics),
            )  # fmt: skip
            for topic in topics:
                topic_id = await connection.fetchval(
                    "INSERT INTO topic_candidates (run_id, key_phrases, question, answer, "
                    "language, last_case_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING topic_id",
                    run_id, list(topic.key_phrases), topic.question, topic.answer,
                    topic.language, topic.last_case_at,
                )  # fmt: skip
                # A case erased while the run mined is not linked (it is gone from the input).
                await connection.execute(
                    "INSERT INTO topic_cases (topic_id, case_id) SELECT $1, case_id "
                    "FROM mining_cases WHERE case_id = ANY($2::text[])",
                    topic_id,
                    list(topic.case_ids),
                )
            await connection.execute(
                "DELETE FROM topic_candidates t WHERE t.run_id = $1 AND NOT EXISTS "
                "(SELECT 1 FROM topic_cases c WHERE c.topic_id = t.topic_id)",
                run_id,
            )
            # Only the newest run's candidates are shown; older runs keep their summary row.
            await connection.execute("DELETE FROM topic_candidates WHERE run_id < $1", run_id)
        return run_id

    async def latest_topics(self, limit: int) -> list[TopicView]:
        """The newest run's candidates, most cases first, then the most recent."""
        async with self._database.connection() as connection:
            rows = await connection.fetch(
                "SELECT t.topic_id, t.key_phrases, t.question, t.answer, t.language, "
                "count(c.case_id) AS cases, max(m.closed_at) AS last_case_at, "
                "array_agg(c.case_id ORDER BY m.closed_at DESC) AS case_ids "
                "FROM topic_candidates t JOIN topic_cases c USING (topic_id) "
                "JOIN mining_cases m USING (case_id) WHERE t.decision IS NULL "
                "GROUP BY t.topic_id ORDER BY cases DESC, last_case_at DESC, t.topic_id LIMIT $1",
                limit,
            )
        return [TopicView(**dict(r)) for r in rows]


TYPO_SIMILARITY = 0.45
# Full text in both languages' stemmers, best first.
FULL_TEXT = """
SELECT faq_id, question, answer, language, ts_rank(search, words)::float8 AS score
FROM faqs, (SELECT websearch_to_tsquery('pg_catalog.english', folded($1))
                   || websearch_to_tsquery('pg_catalog.italian', folded($1)) AS words) q
WHERE search @@ words
ORDER BY score DESC, faq_id
LIMIT $2
"""
# A short query the words did not find: the question's trigrams, typos forgiven. Only then: a
# common word's trigrams match thousands of questions, each to be scored (0.2-0.9 s at 10,000).
TYPOS = """
SELECT faq_id, question, answer, language,
    public.word_similarity(folded($1), search_question)::float8 AS score
FROM faqs
WHERE folded($1) OPERATOR(public.<%) search_question
ORDER BY score DESC, faq_id
LIMIT $2
"""


class PostgresFaqs:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def decide(
        self, topic_id: int, editor: str, at: datetime, approval: Approval | None
    ) -> int | None:
        """Approves (with the editor's wording) or rejects a candidate; the new FAQ's id."""
        async with self._database.transaction() as connection:
            row = await connection.fetchrow(
                "SELECT decision, key_phrases, (SELECT count(*) FROM topic_cases c "
                "WHERE c.topic_id = t.topic_id) AS cases FROM topic_candidates t "
                "WHERE topic_id = $1 FOR UPDATE",
                topic_id,
            )
            if row is None:
                raise CandidateNotFound(topic_id)
            if row["decision"] is not None:
                raise AlreadyDecided(row["decision"])
            faq_id = None
            if approval is not None:
                faq_id = await connection.fetchval(
                    "INSERT INTO faqs (question, answer, language, key_phrases, cases, "
                    "approved_by, approved_at) VALUES ($1, $2, $3, $4, $5, $6, $7) "
                    "RETURNING faq_id",
                    approval.question, approval.answer, approval.language,
                    row["key_phrases"], row["cases"], editor, at,
                )  # fmt: skip
            await connection.execute(
                "UPDATE topic_candidates SET decision = $2, faq_id = $3 WHERE topic_id = $1",
                topic_id,
                "approved" if approval else "rejected",
                faq_id,
            )
        return faq_id

    async def search(self, query: str, limit: int, short: bool) -> list[FoundFaq]:
        async with self._database.transaction() as connection:
            # One swapped letter in a short word costs half its trigrams: 0.6 would miss it.
            await connection.execute(
                f"SET LOCAL pg_trgm.word_similarity_threshold = {TYPO_SIMILARITY}"
            )
            rows = await connection.fetch(FULL_TEXT, query, limit)
            if not rows and short:
                rows = await connection.fetch(TYPOS, query, limit)
        return [FoundFaq(**dict(r)) for r in rows]

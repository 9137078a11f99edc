"""Cases in PostgreSQL: each change in one transaction with its rows locked (the case, its
contacts), the case's version raised, a case_history row, the audit of the operator's write, and
its events on `cases` (and the moved contacts on `interactions`) through the outbox.

A write names the version its caller read (If-Match): another write in between is a
StaleCase carrying the case as it now is, so no write is lost to a concurrent one."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cc_runtime import AuditEntry, outbox
from cc_runtime.audit import record_on
from cc_runtime.postgres import Database
from cc_schemas import (
    CASES,
    INTERACTIONS,
    Actor,
    CaseContact,
    CaseContactLinked,
    CaseLinkKind,
    CaseMerged,
    CaseOpened,
    CaseOutcome,
    CaseRelated,
    CaseReopened,
    CaseResolved,
    CaseSplit,
    Event,
    InteractionChannel,
    make_event_id,
)
from crm.cases import (
    CaseRefused,
    CaseState,
    OpenCase,
    check_merge,
    check_open,
    check_split,
)
from crm.interactions import recorded

SOURCE = "crm"
LOCK_CASE = "SELECT * FROM cases WHERE case_id = $1 FOR UPDATE"
READ_CASE = "SELECT * FROM cases WHERE case_id = $1"
LOCK_CONTACT = "SELECT * FROM contacts WHERE contact_id = $1 FOR UPDATE"
INSERT_CASE = """
    INSERT INTO cases (case_id, customer_id, title, reason, order_id, product, language,
                       opened_at, opened_by, last_contact_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
    RETURNING *
"""
BUMP = "UPDATE cases SET version = version + 1 WHERE case_id = $1 RETURNING *"
TOUCH = """
    UPDATE cases SET last_contact_at = greatest(last_contact_at, $2), version = version + 1
    WHERE case_id = $1 RETURNING *
"""
EDIT = """
    UPDATE cases SET title = $2, reason = $3, order_id = $4, product = $5, language = $6,
        problem = $7, version = version + 1
    WHERE case_id = $1 RETURNING *
"""
END = """
    UPDATE cases SET state = $2, close_reason = $3, problem = $4, resolution = $5,
        ended_at = $6, ended_by = $7, version = version + 1
    WHERE case_id = $1 RETURNING *
"""
REOPEN = """
    UPDATE cases SET state = 'open', ended_at = NULL, ended_by = NULL, version = version + 1
    WHERE case_id = $1 RETURNING *
"""
MERGED = """
    UPDATE cases SET state = 'merged', merged_into = $2, version = version + 1
    WHERE case_id = $1 RETURNING *
"""
MOVE_CONTACTS = """
    UPDATE contacts SET case_id = $2, version = version + 1
    WHERE contact_id = ANY($1::text[]) RETURNING *
"""
CONTACTS_OF = """
    SELECT contact_id, channel, direction, customer_id, started_at, ended_at, agent, reason,
           notes, order_id, product, version
    FROM contacts WHERE case_id = $1 ORDER BY started_at, contact_id
"""
MOVE_CASE_ATTACHMENTS = """
    UPDATE attachments SET owner_id = $2 WHERE owner_kind = 'case' AND owner_id = $1
"""
HISTORY = """
    INSERT INTO case_history (case_id, at, actor, what, detail) VALUES ($1, $2, $3, $4, $5)
"""
HISTORY_OF = "SELECT at, actor, what, detail FROM case_history WHERE case_id = $1 ORDER BY id"
RELATE = """
    INSERT INTO case_relations (case_id, related_case_id) VALUES ($1, $2), ($2, $1)
    ON CONFLICT DO NOTHING
"""
RELATED_OF = "SELECT related_case_id FROM case_relations WHERE case_id = $1 ORDER BY 1"
OPEN_CASES_OF = """
    SELECT case_id, customer_id, last_contact_at, order_id, product, reason, title
    FROM cases WHERE customer_id = $1 AND state = 'open'
    ORDER BY last_contact_at DESC LIMIT 50
"""
CASES_OF = """
    SELECT case_id, title, state, reason, order_id, product, opened_at, last_contact_at,
           merged_into, version,
           (SELECT count(*) FROM contacts c WHERE c.case_id = cases.case_id) AS contacts
    FROM cases WHERE customer_id = $1 AND state = ANY($2::text[])
    ORDER BY last_contact_at DESC LIMIT $3
"""
# Both languages' stems of the query, either may match; ranked, the case's title first.
SEARCH_CASES = """
    WITH q AS (SELECT websearch_to_tsquery('crm_italian', $1)
                      || websearch_to_tsquery('crm_english', $1) AS query)
    SELECT case_id, title, state, customer_id, last_contact_at,
           ts_rank(words, q.query) AS rank
    FROM cases, q WHERE words @@ q.query
    ORDER BY rank DESC, last_contact_at DESC LIMIT $2
"""
SEARCH_NOTES = """
    WITH q AS (SELECT websearch_to_tsquery('crm_italian', $1)
                      || websearch_to_tsquery('crm_english', $1) AS query)
    SELECT contact_id, case_id, customer_id, channel, started_at, notes,
           ts_rank(words, q.query) AS rank
    FROM contacts, q WHERE words @@ q.query
    ORDER BY rank DESC, started_at DESC LIMIT $2
"""


class StaleCase(Exception):
    def __init__(self, current: dict[str, Any]) -> None:
        super().__init__(f"case {current['case_id']} is at version {current['version']}")
        self.current = current


class NoSuchRecord(Exception):
    """A case or contact crm does not hold (404)."""


@dataclass(frozen=True)
class NewCase:
    title: str
    reason: str | None = None
    order_id: str | None = None
    product: str | None = None
    language: str | None = None


@dataclass(frozen=True)
class CaseEdit:
    title: str | None = None
    reason: str | None = None
    order_id: str | None = None
    product: str | None = None
    language: str | None = None
    problem: str | None = None

    def applied_to(self, row: dict[str, Any]) -> list[Any]:
        names = ("title", "reason", "order_id", "product", "language", "problem")
        return [getattr(self, n) if getattr(self, n) is not None else row[n] for n in names]


@dataclass(frozen=True)
class Ending:
    outcome: CaseOutcome
    close_reason: str
    problem: str
    resolution: str


class _Write:
    """One operator's write in its transaction: what it publishes, and its history rows."""

    def __init__(self, connection: Any, write: AuditEntry) -> None:
        self.connection, self.write = connection, write
        self.actor = Actor(subject=write.subject, role=write.role)
        self.events: list[tuple[str, Event]] = []

    async def history(self, case_id: str, what: str, **detail: Any) -> None:
        await self.connection.execute(
            HISTORY, case_id, self.write.at, self.write.subject, what, json.dumps(detail)
        )

    def case_event(self, cls: type[Event], case: dict[str, Any], what: str, **fields: Any) -> None:
        event_id = make_event_id(SOURCE, case["case_id"], what, str(case["version"]))
        event = cls(
            event_id=event_id,
            occurred_at=self.write.at,
            source=SOURCE,
            actor=self.actor,
            case_id=case["case_id"],
            customer_id=case["customer_id"],
            **fields,
        )
        self.events.append((CASES, event))

    def contacts_moved(self, rows: Sequence[Any]) -> None:
        for row in rows:
            self.events.append((INTERACTIONS, recorded(dict(row), self.write.at, self.actor)))

    async def done(self, target: str) -> None:
        await record_on(self.connection, self.write.on(target))
        await outbox.add(self.connection, self.events)


class PostgresCases:
    """`written` wakes the outbox relay after a commit."""

    def __init__(self, database: Database, written: Callable[[], None]) -> None:
        self.database, self.written = database, written

    async def open_cases_of(self, customer_id: str) -> list[OpenCase]:
        async with self.database.connection() as connection:
            rows = await connection.fetch(OPEN_CASES_OF, customer_id)
        return [OpenCase(**dict(r)) for r in rows]

    async def cases_of(
        self, customer_id: str, states: list[str], limit: int
    ) -> list[dict[str, Any]]:
        async with self.database.connection() as connection:
            rows = await connection.fetch(CASES_OF, customer_id, states, limit)
        return [dict(r) for r in rows]

    async def read(self, case_id: str) -> dict[str, Any] | None:
        async with self.database.connection() as connection:
            case = await connection.fetchrow(READ_CASE, case_id)
            if case is None:
                return None
            contacts = await connection.fetch(CONTACTS_OF, case_id)
            history = await connection.fetch(HISTORY_OF, case_id)
            related = await connection.fetch(RELATED_OF, case_id)
        return dict(case) | {
            "contacts": [dict(c) for c in contacts],
            "history": [dict(h) | {"detail": json.loads(h["detail"])} for h in history],
            "related": [r["related_case_id"] for r in related],
        }

    async def search(self, words: str, limit: int) -> tuple[list[dict[str, Any]], ...]:
        async with self.database.connection() as connection:
            cases = await connection.fetch(SEARCH_CASES, words, limit)
            notes = await connection.fetch(SEARCH_NOTES, words, limit)
        return [dict(r) for r in cases], [dict(r) for r in notes]

    async def link(
        self,
        contact_id: str,
        target: str | NewCase,
        proposed: str | None,
        write: AuditEntry,
    ) -> dict[str, Any]:
        """The contact joins a case (`target`'s id, followed where it was merged; reopened if
        it had ended) or a new one; `proposed` is what crm proposed, to tell a confirmation
        from another choice."""
        async with self.database.transaction() as connection:
            w = _Write(connection, write)
            contact = await _row(connection, LOCK_CONTACT, contact_id, "interaction")
            if isinstance(target, NewCase):
                case = await _open(w, contact, target)
                how = CaseLinkKind.OPENED
            else:
                case = await _followed(connection, target)
                if contact["case_id"] == case["case_id"]:
                    return case  # linked already: nothing changes, nothing reopens
                _same_customer(case, contact)
                how = CaseLinkKind.PROPOSED if case["case_id"] == proposed else CaseLinkKind.CHOSEN
                if case["state"] != CaseState.OPEN:  # a new contact about an ended problem
                    case = await _reopen(w, case)
            case = await _attach(w, case, [contact], how, contact["case_id"])
            await w.done(case["case_id"])
        self.written()
        return case

    async def edit(
        self, case_id: str, expected: int, edit: CaseEdit, write: AuditEntry
    ) -> dict[str, Any]:
        async with self.database.transaction() as connection:
            w = _Write(connection, write)
            case = await _locked(connection, case_id, expected)
            case = dict(await connection.fetchrow(EDIT, case_id, *edit.applied_to(case)))
            await w.history(case_id, "edited", **{k: v for k, v in vars(edit).items() if v})
            await w.done(case_id)
        return case

    async def end(
        self, case_id: str, expected: int, ending: Ending, write: AuditEntry
    ) -> dict[str, Any]:
        """Resolved or closed, with the problem and its resolution in words."""
        async with self.database.transaction() as connection:
            w = _Write(connection, write)
            case = await _locked(connection, case_id, expected)
            check_open(case["state"], ending.outcome.value)
            case = dict(
                await connection.fetchrow(
                    END,
                    case_id,
                    ending.outcome.value,
                    ending.close_reason,
                    ending.problem,
                    ending.resolution,
                    write.at,
                    write.subject,
                )
            )
            contacts = await connection.fetch(CONTACTS_OF, case_id)
            await w.history(case_id, ending.outcome.value, close_reason=ending.close_reason)
            w.case_event(
                CaseResolved,
                case,
                "resolved",
                outcome=ending.outcome,
                close_reason=ending.close_reason,
                problem=ending.problem,
                resolution=ending.resolution,
                language=case["language"],
                reason=case["reason"],
                order_id=case["order_id"],
                product=case["product"],
                opened_at=case["opened_at"],
                contacts=tuple(_case_contact(c) for c in contacts),
            )
            await w.done(case_id)
        self.written()
        return case

    async def reopen(self, case_id: str, expected: int, write: AuditEntry) -> dict[str, Any]:
        async with self.database.transaction() as connection:
            w = _Write(connection, write)
            case = await _locked(connection, case_id, expected)
            if case["state"] not in (CaseState.RESOLVED, CaseState.CLOSED):
                raise CaseRefused(f"the case is {case['state']}: only an ended case reopens")
            case = await _reopen(w, case)
            await w.done(case_id)
        self.written()
        return case

    async def merge(
        self, case_id: str, expected: int, into_id: str, write: AuditEntry
    ) -> dict[str, Any]:
        """`case_id` into `into_id`: its contacts move, it redirects there, history kept."""
        async with self.database.transaction() as connection:
            w = _Write(connection, write)
            # both rows locked, in one order for every merge: two crossed merges cannot deadlock
            first, second = sorted((case_id, into_id))
            await connection.fetchrow(LOCK_CASE, first)
            await connection.fetchrow(LOCK_CASE, second)
            case = await _locked(connection, case_id, expected)
            into = await _row(connection, LOCK_CASE, into_id, "case")
            check_merge(case, into)
            moving = [c["contact_id"] for c in await connection.fetch(CONTACTS_OF, case_id)]
            moved = await connection.fetch(MOVE_CONTACTS, moving, into_id)
            w.contacts_moved(moved)
            await connection.execute(MOVE_CASE_ATTACHMENTS, case_id, into_id)
            case = dict(await connection.fetchrow(MERGED, case_id, into_id))
            latest = max([into["last_contact_at"], case["last_contact_at"]])
            into = dict(await connection.fetchrow(TOUCH, into_id, latest))
            await w.history(case_id, "merged", into=into_id, contacts=moving)
            await w.history(into_id, "merged_in", case=case_id, contacts=moving)
            w.case_event(
                CaseMerged, case, "merged", into_case_id=into_id, contacts_moved=len(moving)
            )
            await w.done(case_id)
        self.written()
        return into

    async def split(
        self,
        case_id: str,
        expected: int,
        interaction_ids: list[str],
        new: NewCase,
        write: AuditEntry,
    ) -> dict[str, Any]:
        """A new case made of some of the case's contacts."""
        async with self.database.transaction() as connection:
            w = _Write(connection, write)
            case = await _locked(connection, case_id, expected)
            check_open(case["state"], "split")
            contacts = await connection.fetch(CONTACTS_OF, case_id)
            check_split({c["contact_id"] for c in contacts}, set(interaction_ids))
            taken = [dict(c) for c in contacts if c["contact_id"] in set(interaction_ids)]
            fresh = await _insert(w, case["customer_id"], new, taken[-1]["started_at"], None)
            fresh = await _attach(w, fresh, taken, CaseLinkKind.SPLIT, case_id)
            case = dict(await connection.fetchrow(BUMP, case_id))
            await w.history(case_id, "split", new_case=fresh["case_id"], contacts=interaction_ids)
            w.case_event(
                CaseSplit,
                fresh,
                "split",
                from_case_id=case_id,
                interaction_ids=tuple(interaction_ids),
            )
            await w.done(case_id)
        self.written()
        return fresh

    async def relate(self, case_id: str, related_id: str, write: AuditEntry) -> dict[str, Any]:
        async with self.database.transaction() as connection:
            w = _Write(connection, write)
            if case_id == related_id:
                raise CaseRefused("a case is not related to itself")
            first, second = sorted((case_id, related_id))
            await _row(connection, LOCK_CASE, first, "case")
            await _row(connection, LOCK_CASE, second, "case")
            await connection.execute(RELATE, case_id, related_id)
            case = dict(await connection.fetchrow(BUMP, case_id))
            await w.history(case_id, "related", case=related_id)
            await w.history(related_id, "related", case=case_id)
            w.case_event(CaseRelated, case, "related", related_case_id=related_id)
            await w.done(case_id)
        self.written()
        return case


async def _row(connection: Any, sql: str, key: str, what: str) -> dict[str, Any]:
    row = await connection.fetchrow(sql, key)
    if row is None:
        raise NoSuchRecord(f"no {what} {key!r}")
    return dict(row)


async def _locked(connection: Any, case_id: str, expected: int) -> dict[str, Any]:
    case = await _row(connection, LOCK_CASE, case_id, "case")
    if case["version"] != expected:
        raise StaleCase(case)
    return case


async def _followed(connection: Any, case_id: str) -> dict[str, Any]:
    """The case, or where its merges led (a merged case redirects)."""
    case = await _row(connection, LOCK_CASE, case_id, "case")
    seen = {case_id}
    while case["state"] == CaseState.MERGED and case["merged_into"] not in seen:
        seen.add(case["merged_into"])
        case = await _row(connection, LOCK_CASE, case["merged_into"], "case")
    return case


def _same_customer(case: dict[str, Any], contact: dict[str, Any]) -> None:
    if None not in (case["customer_id"], contact["customer_id"]) and (
        case["customer_id"] != contact["customer_id"]
    ):
        raise CaseRefused(
            f"case {case['case_id']} is another customer's: attach the contact's customer first"
        )


async def _insert(
    w: _Write, customer_id: str | None, new: NewCase, at: datetime, opener: str | None
) -> dict[str, Any]:
    case_id = str(uuid.uuid4())
    case = dict(
        await w.connection.fetchrow(
            INSERT_CASE,
            case_id,
            customer_id,
            new.title,
            new.reason,
            new.order_id,
            new.product,
            new.language,
            w.write.at,
            w.write.subject,
            at,
        )
    )
    await w.history(case_id, "opened", title=new.title, contact=opener)
    w.case_event(
        CaseOpened,
        case,
        "opened",
        title=new.title,
        reason=new.reason,
        order_id=new.order_id,
        product=new.product,
        language=new.language,
        opened_by_interaction=opener,
    )
    return case


async def _open(w: _Write, contact: dict[str, Any], new: NewCase) -> dict[str, Any]:
    """A new case opened with the contact; what the operator did not say, the contact says."""
    filled = NewCase(
        title=new.title,
        reason=new.reason or contact["reason"],
        order_id=new.order_id or contact["order_id"],
        product=new.product or contact["product"],
        language=new.language,
    )
    return await _insert(
        w, contact["customer_id"], filled, contact["started_at"], contact["contact_id"]
    )


async def _reopen(w: _Write, case: dict[str, Any]) -> dict[str, Any]:
    case = dict(await w.connection.fetchrow(REOPEN, case["case_id"]))
    await w.history(case["case_id"], "reopened")
    w.case_event(CaseReopened, case, "reopened")
    return case


async def _attach(
    w: _Write,
    case: dict[str, Any],
    contacts: list[dict[str, Any]],
    how: CaseLinkKind,
    previous: str | None,
) -> dict[str, Any]:
    ids = [c["contact_id"] for c in contacts]
    moved = await w.connection.fetch(MOVE_CONTACTS, ids, case["case_id"])
    w.contacts_moved(moved)
    latest = max(c["started_at"] for c in contacts)
    case = dict(await w.connection.fetchrow(TOUCH, case["case_id"], latest))
    count = len(await w.connection.fetch(CONTACTS_OF, case["case_id"]))
    for contact in contacts:
        await w.history(case["case_id"], "contact_linked", contact=contact["contact_id"], how=how)
        w.case_event(
            CaseContactLinked,
            case,
            f"contact_linked-{contact['contact_id']}",
            contact=_case_contact(contact),
            how=how,
            previous_case_id=previous,
            contacts=count,
        )
    return case


def _case_contact(contact: Any) -> CaseContact:
    return CaseContact(
        interaction_id=contact["contact_id"],
        channel=InteractionChannel(contact["channel"]),
        started_at=contact["started_at"],
    )

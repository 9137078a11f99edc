"""Every SQL query of claims: tickets with their stints and timeline, written with their
outbox events in one transaction; the queue and the report on responsibles' time."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from cc_attachments import Blob
from cc_runtime import outbox
from cc_runtime.postgres import Database
from cc_schemas import (
    TICKET_SLA,
    Actor,
    Event,
    OrderReplacementRequested,
    SparePartRequested,
)
from claims.details import PRIORITY_RANK, Details, SlaState, Stored
from claims.domain import (
    Change,
    Decision,
    Priority,
    Resolution,
    Responsible,
    State,
    Stint,
    Ticket,
)
from claims.responsibles import HeldStint
from claims.warranty import CheckResult, Cover, Purchase


@dataclass(frozen=True)
class Written:
    """One command's result to store: the ticket after it, its changes, who made them and the
    events they publish."""

    stored: Stored
    changes: tuple[Change, ...]
    actor: Actor
    events: Sequence[tuple[str, Event]]
    sla: SlaState
    warranty: WarrantyCheck | None = None


@dataclass(frozen=True)
class WarrantyCheck:
    """A walked checklist, stored beside the timeline step that records it."""

    result: CheckResult
    cover: Cover | None  # None: no purchase known for the ticket


QUEUE_ORDER = "coalesce(sla_due_at, 'infinity'), -priority_rank, opened_at, ticket_id"


@dataclass(frozen=True)
class QueuePosition:
    """Where a queue page ended: its last ticket's sort key."""

    due_at: datetime | None
    rank: int
    opened_at: datetime
    ticket_id: str


@dataclass(frozen=True)
class QueueFilter:
    team: str | None = None
    assignee: str | None = None
    unassigned: bool = False
    states: tuple[State, ...] = ()
    cluster: str | None = None
    product_code: str | None = None


Alert = tuple[str, str, datetime, Event]  # target, level, deadline, event
DecideAlerts = Callable[[Stored, list[Change]], tuple[list[Alert], SlaState]]


class TicketRepository(Protocol):
    async def next_ticket_id(self) -> str: ...
    async def get(self, ticket_id: str) -> Stored | None: ...
    async def create(self, written: Written, key: str | None = None) -> str | None: ...
    async def update(self, expected_version: int, written: Written) -> bool: ...
    async def history(self, ticket_id: str) -> list[Change]: ...
    async def due_for_check(self, now: datetime, limit: int) -> list[str]: ...
    async def check_sla(self, ticket_id: str, decide: DecideAlerts) -> int: ...


class PostgresTickets:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def next_ticket_id(self) -> str:
        async with self._database.connection() as connection:
            return f"T-{await connection.fetchval('SELECT nextval($1)', 'ticket_numbers')}"

    async def get(self, ticket_id: str) -> Stored | None:
        async with self._database.connection() as connection:
            row = await connection.fetchrow("SELECT * FROM tickets WHERE ticket_id = $1", ticket_id)
            if row is None:
                return None
            stints = await connection.fetch(
                "SELECT * FROM ticket_stints WHERE ticket_id = $1 ORDER BY position", ticket_id
            )
        return _stored(row, stints)

    async def create(self, written: Written, key: str | None = None) -> str | None:
        """Store a new ticket; with an idempotency `key` the caller used before, store nothing
        and return the ticket that key opened (None when this one is stored)."""
        async with self._database.transaction() as connection:
            await connection.execute(_INSERT, *_ticket_columns(written))
            if key is not None:
                first = await connection.fetchval(
                    "INSERT INTO opening_keys (subject, idempotency_key, ticket_id, created_at) "
                    "VALUES ($1, $2, $3, now()) ON CONFLICT (subject, idempotency_key) "
                    "DO UPDATE SET subject = opening_keys.subject RETURNING ticket_id",
                    written.actor.subject,
                    key,
                    written.stored.ticket.ticket_id,
                )
                if first != written.stored.ticket.ticket_id:
                    raise OpenedBefore(first)  # rolls this ticket back
            await _write_chain(connection, written)
            return None

    async def update(self, expected_version: int, written: Written) -> bool:
        """False, with nothing written, when the ticket is no longer at `expected_version`."""
        async with self._database.transaction() as connection:
            status = await connection.execute(_UPDATE, *_ticket_columns(written), expected_version)
            if status != "UPDATE 1":
                return False
            await _write_chain(connection, written)
            return True

    async def timeline(self, ticket_id: str) -> list[dict[str, Any]]:
        async with self._database.connection() as connection:
            rows = await connection.fetch(
                "SELECT kind, at, by_subject, by_role, from_state, to_state, reason, from_ticket "
                "FROM ticket_changes WHERE ticket_id = $1 ORDER BY position",
                ticket_id,
            )
        return [dict(r) for r in rows]

    async def queue(
        self, which: QueueFilter, limit: int, after: QueuePosition | None
    ) -> list[Stored]:
        """Live tickets matching `which`: the nearest SLA deadline first (none last), then the
        highest priority, then the oldest; `after` is where the previous page ended."""
        conditions, arguments = _queue_conditions(which)
        if after is not None:
            due = after.due_at.isoformat() if after.due_at else "infinity"
            arguments += [due, after.rank, after.opened_at, after.ticket_id]
            n = len(arguments)
            position = f"${n - 3}::text::timestamptz, -${n - 2}::smallint, ${n - 1}, ${n}"
            conditions.append(f"({QUEUE_ORDER}) > ({position})")
        arguments.append(limit)
        sql = (
            f"SELECT * FROM tickets WHERE {' AND '.join(conditions)} "  # noqa: S608 (our own clauses)
            f"ORDER BY {QUEUE_ORDER} LIMIT ${len(arguments)}"
        )
        async with self._database.connection() as connection:
            rows = await connection.fetch(sql, *arguments)
            return await _with_stints(connection, rows)

    async def search(self, text: str, limit: int) -> list[Stored]:
        """Tickets of any state matching `text` (web-search syntax: words, "a phrase", -not),
        in Italian or English, the best matches first, then the newest."""
        async with self._database.connection() as connection:
            rows = await connection.fetch(_SEARCH, text, limit)
            return await _with_stints(connection, rows)

    async def product_feedback(
        self, since: datetime, until: datetime, period: str, zone: str
    ) -> list[dict[str, Any]]:
        """Per product, cluster and period (day, week, month in `zone`): claims opened, those
        decided, those found to have no fault, and the checks that explained them most."""
        async with self._database.connection() as connection:
            rows = await connection.fetch(_PRODUCT_FEEDBACK, since, until, period, zone)
        return [dict(r) for r in rows]

    async def stints_between(self, since: datetime, until: datetime) -> list[HeldStint]:
        """The stints that overlap [since, until)."""
        async with self._database.connection() as connection:
            rows = await connection.fetch(
                "SELECT person, team, ticket_id, started_at, ended_at FROM ticket_stints "
                "WHERE started_at < $2 AND coalesce(ended_at, $2) > $1",
                since,
                until,
            )
        return [HeldStint(**dict(r)) for r in rows]

    async def history(self, ticket_id: str) -> list[Change]:
        async with self._database.connection() as connection:
            return await _history(connection, ticket_id)

    async def due_for_check(self, now: datetime, limit: int) -> list[str]:
        async with self._database.connection() as connection:
            rows = await connection.fetch(
                "SELECT ticket_id FROM tickets WHERE sla_check_at <= $1 "
                "ORDER BY sla_check_at LIMIT $2",
                now,
                limit,
            )
        return [r["ticket_id"] for r in rows]

    async def check_sla(self, ticket_id: str, decide: DecideAlerts) -> int:
        """Under the ticket's row lock: `decide` what to alert; each alert not published
        before is stored with its event in the outbox. The number of new alerts."""
        async with self._database.transaction() as connection:
            row = await connection.fetchrow(
                "SELECT * FROM tickets WHERE ticket_id = $1 FOR UPDATE", ticket_id
            )
            if row is None:
                return 0
            stints = await connection.fetch(
                "SELECT * FROM ticket_stints WHERE ticket_id = $1 ORDER BY position", ticket_id
            )
            raised, sla = decide(_stored(row, stints), await _history(connection, ticket_id))
            new = []
            for target, level, due_at, event in raised:
                inserted = await connection.fetchval(
                    "INSERT INTO sla_alerts (ticket_id, target, level, due_at, alerted_at) "
                    "VALUES ($1, $2, $3, $4, now()) ON CONFLICT DO NOTHING RETURNING 1",
                    ticket_id,
                    target,
                    level,
                    due_at,
                )
                if inserted:
                    new.append((TICKET_SLA, event))
            await outbox.add(connection, new)
            await connection.execute(
                "UPDATE tickets SET sla_policy = $2, sla_due_at = $3, sla_check_at = $4 "
                "WHERE ticket_id = $1",
                ticket_id,
                sla.policy,
                sla.due_at,
                sla.check_at,
            )
            return len(new)


async def _with_stints(connection: Any, rows: Sequence[Any]) -> list[Stored]:
    """Tickets' rows with their stints, read in one query for the whole page."""
    stints = await connection.fetch(
        "SELECT * FROM ticket_stints WHERE ticket_id = ANY($1::text[]) "
        "ORDER BY ticket_id, position",
        [r["ticket_id"] for r in rows],
    )
    by_ticket: dict[str, list[Any]] = {}
    for stint in stints:
        by_ticket.setdefault(stint["ticket_id"], []).append(stint)
    return [_stored(r, by_ticket.get(r["ticket_id"], [])) for r in rows]


async def _history(connection: Any, ticket_id: str) -> list[Change]:
    rows = await connection.fetch(
        "SELECT kind, at, by_subject, from_state, to_state, reason FROM ticket_changes "
        "WHERE ticket_id = $1 AND from_ticket IS NULL ORDER BY position",
        ticket_id,
    )
    return [
        Change(
            kind=r["kind"],
            at=r["at"],
            by=r["by_subject"],
            from_state=State(r["from_state"]) if r["from_state"] else None,
            to_state=State(r["to_state"]),
            reason=r["reason"],
        )
        for r in rows
    ]


class OpenedBefore(Exception):
    """The idempotency key opened a ticket before: `ticket_id`."""

    def __init__(self, ticket_id: str) -> None:
        super().__init__(ticket_id)
        self.ticket_id = ticket_id


async def _write_chain(connection: Any, written: Written) -> None:
    ticket = written.stored.ticket
    if ticket.merged_into is not None and written.changes[-1].kind == "merged":
        await _absorb(connection, ticket.ticket_id, ticket.merged_into, written.changes[-1])
    await connection.execute("DELETE FROM ticket_stints WHERE ticket_id = $1", ticket.ticket_id)
    await connection.executemany(
        "INSERT INTO ticket_stints (ticket_id, position, person, team, started_at, ended_at, "
        "assigned_by, reason) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        [
            (
                ticket.ticket_id,
                i,
                s.holder.person,
                s.holder.team,
                s.started_at,
                s.ended_at,
                s.assigned_by,
                s.reason,
            )
            for i, s in enumerate(ticket.stints)
        ],
    )
    first = await connection.fetchval(
        "SELECT coalesce(max(position) + 1, 0) FROM ticket_changes WHERE ticket_id = $1",
        ticket.ticket_id,
    )
    await connection.executemany(
        "INSERT INTO ticket_changes (ticket_id, position, kind, at, by_subject, by_role, "
        "from_state, to_state, reason) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        [
            (
                ticket.ticket_id,
                first + i,
                c.kind,
                c.at,
                c.by,
                written.actor.role,
                c.from_state.value if c.from_state else None,
                c.to_state.value,
                c.reason,
            )
            for i, c in enumerate(written.changes)
        ],
    )
    if written.warranty is not None:
        check, cover = written.warranty.result, written.warranty.cover
        await connection.execute(
            "INSERT INTO warranty_checks (ticket_id, checked_at, checked_by, verdict, decided_by, "
            "answers, covered, covered_until) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            ticket.ticket_id,
            written.changes[-1].at,
            written.changes[-1].by,
            check.verdict.value,
            check.decided_by,
            json.dumps({k: v.value for k, v in check.answers.items()}),
            cover.covered if cover else None,
            cover.until if cover else None,
        )
    sends = [e for _, e in written.events if isinstance(e, SENDING_COMMANDS)]
    await connection.executemany(
        "INSERT INTO awaiting_shipment (order_id, ticket_id, requested_at) VALUES ($1, $2, $3) "
        "ON CONFLICT DO NOTHING",
        [(e.order_id, ticket.ticket_id, e.occurred_at) for e in sends],
    )
    await outbox.add(connection, written.events)


async def _absorb(connection: Any, merged: str, into: str, change: Change) -> None:
    """The merged ticket's attachments move to the one carrying on, whose timeline takes a copy
    of the merged one's (each step naming the ticket it happened on) and records the merge, and
    whose version moves on (its readers see it changed)."""
    await connection.execute("SELECT 1 FROM tickets WHERE ticket_id = $1 FOR UPDATE", into)
    await connection.execute("UPDATE tickets SET version = version + 1 WHERE ticket_id = $1", into)
    await connection.execute(
        "UPDATE attachments SET ticket_id = $2 WHERE ticket_id = $1", merged, into
    )
    await connection.execute(
        "INSERT INTO ticket_changes (ticket_id, position, kind, at, by_subject, by_role, "
        "from_state, to_state, reason, from_ticket) "
        "SELECT $2, next.position + row_number() OVER (ORDER BY c.position) - 1, c.kind, c.at, "
        "c.by_subject, c.by_role, c.from_state, c.to_state, c.reason, "
        "coalesce(c.from_ticket, $1) "  # a ticket merged into the merged one keeps its name
        "FROM ticket_changes c, (SELECT coalesce(max(position) + 1, 0) AS position "
        "FROM ticket_changes WHERE ticket_id = $2) AS next WHERE c.ticket_id = $1",
        merged,
        into,
    )
    await connection.execute(
        "INSERT INTO ticket_changes (ticket_id, position, kind, at, by_subject, by_role, "
        "from_state, to_state, reason) SELECT $1, coalesce(max(position) + 1, 0), 'absorbed', "
        "$2, $3, NULL, t.state, t.state, $4 FROM tickets t LEFT JOIN ticket_changes c "
        "ON c.ticket_id = t.ticket_id WHERE t.ticket_id = $1 GROUP BY t.state",
        into,
        change.at,
        change.by,
        f"{merged} merged into this ticket" + (f": {change.reason}" if change.reason else ""),
    )


class PostgresAttachments:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def add(
        self, ticket_id: str, blob: Blob, filename: str, by: str, at: datetime
    ) -> dict[str, Any]:
        attachment_id = uuid.uuid4()
        async with self._database.connection() as connection:
            await connection.execute(
                "INSERT INTO attachments (attachment_id, ticket_id, sha256, size, content_type, "
                "filename, uploaded_by, uploaded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                attachment_id,
                ticket_id,
                blob.sha256,
                blob.size,
                blob.content_type,
                filename,
                by,
                at,
            )
        return {
            "attachment_id": str(attachment_id),
            "ticket_id": ticket_id,
            "size": blob.size,
            "content_type": blob.content_type,
            "filename": filename,
            "uploaded_by": by,
            "uploaded_at": at,
        }

    async def of_ticket(self, ticket_id: str) -> list[dict[str, Any]]:
        async with self._database.connection() as connection:
            rows = await connection.fetch(
                "SELECT attachment_id::text, ticket_id, size, content_type, filename, "
                "uploaded_by, uploaded_at FROM attachments WHERE ticket_id = $1 "
                "ORDER BY uploaded_at",
                ticket_id,
            )
        return [dict(r) for r in rows]

    async def get(self, ticket_id: str, attachment_id: str) -> dict[str, Any] | None:
        try:
            wanted = uuid.UUID(attachment_id)
        except ValueError:
            return None
        async with self._database.connection() as connection:
            row = await connection.fetchrow(
                "SELECT * FROM attachments WHERE ticket_id = $1 AND attachment_id = $2",
                ticket_id,
                wanted,
            )
        return dict(row) if row else None


class PostgresErasures:
    """customer.erased: the customer's personal data in tickets, their messages and purchases
    erased in one transaction; the tickets keep their figures under a pseudonym."""

    def __init__(self, database: Database) -> None:
        self._database = database

    async def erase(self, customer_id: str, pseudonym: str, at: datetime) -> tuple[int, list[str]]:
        """The tickets erased, and the blobs no attachment refers to any more (the caller
        deletes them from the store once this has committed)."""
        async with self._database.transaction() as connection:
            ids = await connection.fetch(
                "UPDATE tickets SET customer_id = $2, subject = $3, description = '', tags = '{}' "
                "WHERE customer_id = $1 RETURNING ticket_id",
                customer_id,
                pseudonym,
                ERASED,
            )
            tickets = [r["ticket_id"] for r in ids]
            # What the customer wrote and what they were asked: addressed to a person.
            await connection.execute(
                "UPDATE ticket_changes SET reason = $2 WHERE (ticket_id = ANY($1::text[]) "
                "OR from_ticket = ANY($1::text[])) AND kind IN ('customer_message', 'waiting')",
                tickets,
                ERASED,
            )
            await connection.execute(
                "UPDATE purchases SET customer_id = NULL WHERE customer_id = $1", customer_id
            )
            gone = await connection.fetch(
                "DELETE FROM attachments WHERE ticket_id = ANY($1::text[]) RETURNING sha256",
                tickets,
            )
            orphans = await connection.fetch(
                "SELECT DISTINCT sha256 FROM unnest($1::text[]) AS gone(sha256) "
                "WHERE NOT EXISTS (SELECT 1 FROM attachments a WHERE a.sha256 = gone.sha256)",
                [r["sha256"] for r in gone],
            )
            await connection.execute(
                "INSERT INTO erasures (pseudonym, erased_at, tickets) VALUES ($1, $2, $3) "
                "ON CONFLICT (pseudonym) DO UPDATE SET erased_at = excluded.erased_at, "
                "tickets = erasures.tickets + excluded.tickets",
                pseudonym,
                at,
                len(tickets),
            )
            return len(tickets), [r["sha256"] for r in orphans]


SENDING_COMMANDS = (OrderReplacementRequested, SparePartRequested)
Notify = Callable[[str, str], list[tuple[str, Event]]]  # ticket id, customer id -> events


class PostgresShipments:
    """The shop shipped an order a claim was waiting on: tell each such claim's customer,
    once (the waiting row goes in the same transaction as the notification)."""

    def __init__(self, database: Database) -> None:
        self._database = database

    async def shipped(self, order_id: str, at: datetime, notify: Notify) -> int:
        async with self._database.transaction() as connection:
            rows = await connection.fetch(
                "DELETE FROM awaiting_shipment a USING tickets t WHERE a.order_id = $1 "
                "AND a.requested_at <= $2 AND t.ticket_id = a.ticket_id "
                "RETURNING a.ticket_id, t.customer_id",
                order_id,
                at,
            )
            for row in rows:
                await outbox.add(connection, notify(row["ticket_id"], row["customer_id"]))
            return len(rows)


class PostgresPurchases:
    """Purchases from order-events: an upsert per event, so a redelivery changes nothing."""

    def __init__(self, database: Database) -> None:
        self._database = database

    async def placed(
        self, order_id: str, customer_id: str | None, on: date, products: list[str]
    ) -> None:
        async with self._database.connection() as connection:
            await connection.execute(
                "INSERT INTO purchases (order_id, customer_id, placed_on, product_codes) "
                "VALUES ($1, $2, $3, $4) ON CONFLICT (order_id) DO UPDATE SET "
                "customer_id = excluded.customer_id, placed_on = excluded.placed_on, "
                "product_codes = excluded.product_codes",
                order_id,
                customer_id,
                on,
                products,
            )

    async def delivered(self, order_id: str, customer_id: str | None, on: date) -> None:
        async with self._database.connection() as connection:
            await connection.execute(
                "INSERT INTO purchases (order_id, customer_id, delivered_on) VALUES ($1, $2, $3) "
                "ON CONFLICT (order_id) DO UPDATE SET delivered_on = excluded.delivered_on",
                order_id,
                customer_id,
                on,
            )

    async def get(self, order_id: str) -> Purchase | None:
        async with self._database.connection() as connection:
            row = await connection.fetchrow("SELECT * FROM purchases WHERE order_id = $1", order_id)
        if row is None or row["placed_on"] is None:
            return None  # delivered, but the order itself not seen: no date to trust yet
        return Purchase(
            order_id=row["order_id"],
            customer_id=row["customer_id"],
            placed_on=row["placed_on"],
            delivered_on=row["delivered_on"],
            product_codes=tuple(row["product_codes"]),
        )

    async def checks(self, ticket_id: str) -> list[dict[str, Any]]:
        async with self._database.connection() as connection:
            rows = await connection.fetch(
                "SELECT checked_at, checked_by, verdict, decided_by, answers, covered, "
                "covered_until FROM warranty_checks WHERE ticket_id = $1 ORDER BY checked_at",
                ticket_id,
            )
        return [dict(r) | {"answers": json.loads(r["answers"])} for r in rows]


ERASED = "[erased]"

_COLUMNS = (
    "ticket_id, version, state, customer_id, order_id, product_code, case_id, channel, cluster, "
    "priority, priority_rank, subject, description, tags, opened_at, opened_by, assignee, team, "
    "decision, resolution, closed_at, merged_into, sla_policy, sla_due_at, sla_check_at"
)
_PLACES = ", ".join(f"${i}" for i in range(1, 26))
_INSERT = f"INSERT INTO tickets ({_COLUMNS}) VALUES ({_PLACES})"  # noqa: S608 (constants)
_SETS = ", ".join(f"{name} = ${i}" for i, name in enumerate(_COLUMNS.split(", "), 1) if i > 1)
_UPDATE = f"UPDATE tickets SET {_SETS} WHERE ticket_id = $1 AND version = $26"  # noqa: S608

_SEARCH = """
WITH asked AS (
    SELECT websearch_to_tsquery('italian', $1) || websearch_to_tsquery('english', $1)
           || websearch_to_tsquery('simple', $1) AS query
)
SELECT tickets.* FROM tickets, asked
WHERE search @@ asked.query
ORDER BY ts_rank(search, asked.query) DESC, opened_at DESC
LIMIT $2
"""

_PRODUCT_FEEDBACK = """
WITH claims AS (
    SELECT t.ticket_id, t.product_code, t.cluster, t.decision,
           date_trunc($3, t.opened_at AT TIME ZONE $4)::date AS period
    FROM tickets t
    WHERE t.opened_at >= $1 AND t.opened_at < $2 AND t.product_code IS NOT NULL
), checks AS (
    SELECT c.product_code, c.cluster, c.period, w.decided_by, count(*) AS times
    FROM claims c JOIN warranty_checks w USING (ticket_id)
    WHERE w.decided_by IS NOT NULL
    GROUP BY 1, 2, 3, 4
)
SELECT c.product_code, c.cluster, c.period,
       count(*) AS claims,
       count(*) FILTER (WHERE c.decision IS NOT NULL) AS decided,
       count(*) FILTER (WHERE c.decision->>'outcome' = 'no_fault_found') AS no_fault_found,
       coalesce((SELECT array_agg(k.decided_by ORDER BY k.times DESC, k.decided_by)
                 FROM checks k
                 WHERE (k.product_code, k.cluster, k.period)
                     = (c.product_code, c.cluster, c.period)), '{}') AS top_checks
FROM claims c
GROUP BY c.product_code, c.cluster, c.period
ORDER BY c.product_code, c.cluster, c.period
"""


def _ticket_columns(written: Written) -> tuple[Any, ...]:
    t, d, sla = written.stored.ticket, written.stored.details, written.sla
    holder = t.responsible or t.last_responsible
    decision = t.decision
    return (
        t.ticket_id,
        t.version,
        t.state.value,
        d.customer_id,
        d.order_id,
        d.product_code,
        d.case_id,
        d.channel,
        d.cluster,
        d.priority.value,
        PRIORITY_RANK[d.priority],
        d.subject,
        d.description,
        list(d.tags),
        t.opened_at,
        t.opened_by,
        t.responsible.person if t.responsible else None,
        holder.team if holder else None,
        json.dumps(_decision_json(decision)) if decision else None,
        t.resolution.value if t.resolution else None,
        t.closed_at,
        t.merged_into,
        sla.policy,
        sla.due_at,
        sla.check_at,
    )


def _decision_json(decision: Decision) -> dict[str, str]:
    return {
        "outcome": decision.outcome,
        "decided_by": decision.decided_by,
        "reason": decision.reason,
        "decided_at": decision.decided_at.isoformat(),
    }


def _stored(row: Any, stints: Sequence[Any]) -> Stored:
    sla = None
    if row["sla_policy"] is not None:
        sla = SlaState(row["sla_policy"], row["sla_due_at"], row["sla_check_at"])
    return Stored(_details(row), _ticket(row, stints), sla)


def _details(row: Any) -> Details:
    return Details(
        customer_id=row["customer_id"],
        channel=row["channel"],
        cluster=row["cluster"],
        subject=row["subject"],
        description=row["description"],
        priority=Priority(row["priority"]),
        order_id=row["order_id"],
        product_code=row["product_code"],
        case_id=row["case_id"],
        tags=tuple(row["tags"]),
    )


def _ticket(row: Any, stints: Sequence[Any]) -> Ticket:
    decision = json.loads(row["decision"]) if row["decision"] else None
    return Ticket(
        ticket_id=row["ticket_id"],
        state=State(row["state"]),
        opened_at=row["opened_at"],
        opened_by=row["opened_by"],
        stints=tuple(
            Stint(
                holder=Responsible(s["person"], s["team"]),
                started_at=s["started_at"],
                assigned_by=s["assigned_by"],
                reason=s["reason"],
                ended_at=s["ended_at"],
            )
            for s in stints
        ),
        decision=Decision(
            outcome=decision["outcome"],
            decided_by=decision["decided_by"],
            reason=decision["reason"],
            decided_at=datetime.fromisoformat(decision["decided_at"]),
        )
        if decision
        else None,
        resolution=Resolution(row["resolution"]) if row["resolution"] else None,
        closed_at=row["closed_at"],
        merged_into=row["merged_into"],
        version=row["version"],
    )


def _queue_conditions(which: QueueFilter) -> tuple[list[str], list[Any]]:
    conditions = ["state NOT IN ('closed', 'merged')"]
    arguments: list[Any] = []

    def where(sql: str, value: Any) -> None:
        arguments.append(value)
        conditions.append(sql.replace("?", f"${len(arguments)}"))

    if which.team is not None:
        where("team = ?", which.team)
    if which.unassigned:
        conditions.append("assignee IS NULL")
    elif which.assignee is not None:
        where("assignee = ?", which.assignee)
    if which.states:
        where("state = ANY(?::text[])", [s.value for s in which.states])
    if which.cluster is not None:
        where("cluster = ?", which.cluster)
    if which.product_code is not None:
        where("product_code = ?", which.product_code)
    return conditions, arguments

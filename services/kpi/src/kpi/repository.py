"""Where kpi keeps what it consumed, in PostgreSQL (its own schema, `migrations/`): every event
once, per-call and per-attempt state, hour buckets of the call and outbound measures, and per
topic and event type how many events are stored. Every SQL statement of the service is here.

A batch is written in one transaction (`PostgresKpiStore.run`): its events are inserted with
`ON CONFLICT (event_id) DO NOTHING`, and only the ones that were new move the state and the
buckets, so a redelivered batch changes nothing. Rows that transactions of other partitions
share (buckets, counts) move by atomic increments (`ON CONFLICT DO UPDATE SET x = x +
EXCLUDED.x`), each kind locked in key order so that two transactions never wait on each other
in a circle; a deadlock all the same is retried.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol, TypeVar

from asyncpg import exceptions as pg

from cc_runtime.postgres import Database
from cc_schemas import AgentEvent, Event, topic_spec
from kpi.calls import MEASURE_NAMES, CallFact, Measures
from kpi.entities import LATEST_KINDS, EntityChanges, entity_of
from kpi.fold import CallChanges, OutboundChanges, by_day
from kpi.outbound import COUNT_NAMES, OUTCOMES, OutboundFact, OutboundMeasures
from kpi.periods import PERIOD_KEYS, period_key
from kpi.sla import SlaCounts, SlaKey

T = TypeVar("T")
DEADLOCK_RETRIES = 5

# A report's groupings as SQL over a bucket table's hour or day (local wall time): raw values,
# which `_group_value` turns into the report's keys (cheaper than formatting them in SQL).
HOUR_GROUPS = {
    "queue": "queue",
    "agent": "agent",
    "hour": "hour",
    "day": "date_trunc('day', hour)",
    "week": "date_trunc('week', hour)",
    "month": "date_trunc('month', hour)",
    "hour_of_day": "date_part('hour', hour)",
    "weekday": "date_part('isodow', hour)",
}
DAY_GROUPS = {
    "queue": "queue",
    "agent": "agent",
    "day": "day::timestamp",
    "week": "date_trunc('week', day::timestamp)",
    "month": "date_trunc('month', day::timestamp)",
    "weekday": "date_part('isodow', day)",
}
SLA_GROUPS_SQL = {
    "target": "target",
    "cluster": "cluster",
    "priority": "priority",
    "team": "team",
    **{g: e for g, e in HOUR_GROUPS.items() if g not in ("queue", "agent")},
}
OUTBOUND_COLUMNS = (*COUNT_NAMES, *(f"ended_{o}" for o in OUTCOMES))


@dataclass(frozen=True)
class EventCount:
    """Distinct events stored of one topic and event type, and when."""

    topic: str
    event_type: str
    events: int
    first_event_at: datetime
    last_event_at: datetime
    last_received_at: datetime


@dataclass(frozen=True)
class CallGroup:
    """A call report's group: its values, summed measures and longest waits (ms)."""

    key: tuple[Any, ...]
    measures: Measures
    longest_wait_ms: int | None
    longest_answered_wait_ms: int | None


class Batch(Protocol):
    """One batch's writes, inside one transaction."""

    async def add_events(
        self, events: Sequence[tuple[str, Event]], received_at: datetime
    ) -> list[tuple[str, Event]]: ...

    async def lock_calls(self, call_ids: Sequence[str]) -> dict[str, list[CallFact]]: ...

    async def save_calls(self, changes: CallChanges) -> None: ...

    async def lock_outbound(self, call_ids: Sequence[str]) -> dict[str, list[OutboundFact]]: ...

    async def save_outbound(self, changes: OutboundChanges) -> None: ...

    async def count(self, new: Sequence[tuple[str, Event]], received_at: datetime) -> None: ...

    async def place_entities(self, changes: EntityChanges) -> None: ...

    async def save_sla(self, buckets: Mapping[SlaKey, SlaCounts]) -> None: ...


class KpiStore(Protocol):
    async def run(self, work: Callable[[Batch], Awaitable[T]]) -> T:
        """Run `work` in one transaction (again, from the start, after a deadlock)."""
        ...

    async def call_groups(
        self, start: date, end: date, groups: Sequence[str]
    ) -> list[CallGroup]: ...

    async def outbound_groups(
        self, start: date, end: date, groups: Sequence[str]
    ) -> list[tuple[tuple[Any, ...], OutboundMeasures]]: ...

    async def agent_busy(
        self, start: date, end: date
    ) -> list[tuple[datetime, str, str, int, int]]: ...

    async def placed_events(
        self, kind: str, topics: Sequence[str], start: datetime, end: datetime
    ) -> list[Event]:
        """The events on `topics` of the entities of `kind` placed in [start, end)."""
        ...

    async def open_ticket_events(
        self, topics: Sequence[str], start: datetime, end: datetime
    ) -> list[Event]:
        """The events on `topics` of the tickets opened before `end` and not ended (closed or
        merged, and not reopened since) before `start`."""
        ...

    async def agent_events(self, start: datetime, end: datetime) -> list[AgentEvent]:
        """Each agent's events from their last logout before `start` to their first logout
        from `end` on (all of them where there is none): what their timeline in [start, end)
        is replayed from."""
        ...

    async def open_tickets(self) -> dict[str, int]:
        """Tickets opened and not ended (closed or merged, not reopened since), per channel of
        their opening."""
        ...

    async def counts(self) -> list[EventCount]: ...

    async def sla_groups(
        self, start: date, end: date, groups: Sequence[str]
    ) -> list[tuple[tuple[Any, ...], SlaCounts]]: ...

    async def sla_totals(self) -> dict[tuple[str, str], SlaCounts]:
        """All-time SLA warnings and breaches per target and team."""
        ...

    async def waiting(self, since: datetime) -> dict[str, int]: ...

    async def call_totals(self) -> dict[str, Measures]: ...

    async def outbound_totals(self) -> dict[str, OutboundMeasures]: ...


class PostgresKpiStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    async def run(self, work: Callable[[Batch], Awaitable[T]]) -> T:
        for attempt in range(DEADLOCK_RETRIES):
            try:
                async with self.database.transaction() as connection:
                    return await work(PostgresBatch(connection))
            except (pg.DeadlockDetectedError, pg.SerializationError, StaleState):
                if attempt == DEADLOCK_RETRIES - 1:
                    raise
        raise AssertionError("unreachable")

    async def call_groups(self, start: date, end: date, groups: Sequence[str]) -> list[CallGroup]:
        rows = await self._fetch(call_groups_sql(groups), *_range(start, end, groups))
        n, m = len(groups), len(MEASURE_NAMES)
        return [
            CallGroup(_key(groups, row[:n]), Measures(*row[n : n + m]), row[-2], row[-1])
            for row in rows
        ]

    async def outbound_groups(
        self, start: date, end: date, groups: Sequence[str]
    ) -> list[tuple[tuple[Any, ...], OutboundMeasures]]:
        rows = await self._fetch(outbound_groups_sql(groups), _midnight(start), _midnight(end))
        n = len(groups)
        return [(_key(groups, row[:n]), _outbound_measures(row[n:])) for row in rows]

    async def sla_groups(
        self, start: date, end: date, groups: Sequence[str]
    ) -> list[tuple[tuple[Any, ...], SlaCounts]]:
        rows = await self._fetch(sla_groups_sql(groups), _midnight(start), _midnight(end))
        n = len(groups)
        return [(_key(groups, row[:n]), SlaCounts(*row[n:])) for row in rows]

    async def sla_totals(self) -> dict[tuple[str, str], SlaCounts]:
        async with self.database.connection() as connection:
            rows = await connection.fetch(SLA_TOTALS_SQL)
        return {(r["target"], r["team"]): SlaCounts(r["warnings"], r["breaches"]) for r in rows}

    async def _fetch(self, sql: str, *args: object) -> list[tuple[Any, ...]]:
        async with self.database.connection() as connection:
            return [tuple(r) for r in await connection.fetch(sql, *args)]

    async def agent_busy(self, start: date, end: date) -> list[tuple[datetime, str, str, int, int]]:
        """(hour, agent, kind, count, ms) of the calls agents handled ('calls': talk + hold +
        wrap-up) and of their connected outbound calls ('outbound': talk), per local hour."""
        async with self.database.connection() as connection:
            rows = await connection.fetch(AGENT_BUSY_SQL, _midnight(start), _midnight(end))
        return [(r["hour"], r["agent"], r["kind"], r["n"], r["ms"]) for r in rows]

    async def placed_events(
        self, kind: str, topics: Sequence[str], start: datetime, end: datetime
    ) -> list[Event]:
        return await self._events(PLACED_EVENTS_SQL, kind, list(topics), start, end)

    async def open_ticket_events(
        self, topics: Sequence[str], start: datetime, end: datetime
    ) -> list[Event]:
        return await self._events(OPEN_TICKET_EVENTS_SQL, list(topics), start, end)

    async def agent_events(self, start: datetime, end: datetime) -> list[AgentEvent]:
        events = await self._events(AGENT_TIMELINES_SQL, start, end)
        return [e for e in events if isinstance(e, AgentEvent)]

    async def _events(self, sql: str, *args: object) -> list[Event]:
        async with self.database.connection() as connection:
            rows = await connection.fetch(sql, *args)
        return [topic_spec(r["topic"]).adapter.validate_json(r["body"]) for r in rows]

    async def open_tickets(self) -> dict[str, int]:
        async with self.database.connection() as connection:
            rows = await connection.fetch(OPEN_TICKETS_SQL)
        return {r["channel"]: r["tickets"] for r in rows}

    async def counts(self) -> list[EventCount]:
        async with self.database.connection() as connection:
            rows = await connection.fetch(COUNTS_SQL)
        return [EventCount(*r) for r in rows]

    async def waiting(self, since: datetime) -> dict[str, int]:
        async with self.database.connection() as connection:
            rows = await connection.fetch(WAITING_SQL, since)
        return {r["queue"]: r["calls"] for r in rows}

    async def call_totals(self) -> dict[str, Measures]:
        sums = ", ".join(f"sum({m})::bigint" for m in MEASURE_NAMES)
        sql = f"SELECT queue, {sums} FROM call_days GROUP BY queue"  # noqa: S608
        async with self.database.connection() as connection:
            rows = await connection.fetch(sql)
        return {r[0]: Measures(*tuple(r)[1:]) for r in rows}

    async def outbound_totals(self) -> dict[str, OutboundMeasures]:
        sums = ", ".join(f"sum({c})::bigint" for c in OUTBOUND_COLUMNS)
        sql = f"SELECT queue, {sums} FROM outbound_buckets GROUP BY queue"  # noqa: S608
        async with self.database.connection() as connection:
            rows = await connection.fetch(sql)
        return {r[0]: _outbound_measures(tuple(r)[1:]) for r in rows}


def call_groups_sql(groups: Sequence[str]) -> str:
    """The call report's sums: from the day buckets when no grouping needs the hour (a year
    is then 365 days of rows, not 8,760 hours), else from the hour buckets."""
    sums = [f"sum({m})::bigint" for m in MEASURE_NAMES]
    sums += ["max(longest_wait_ms)", "max(longest_answered_wait_ms)"]
    if all(g in DAY_GROUPS for g in groups):
        return _grouped_sql("call_days", "day", DAY_GROUPS, groups, sums, "offered <> 0")
    return _grouped_sql("call_buckets", "hour", HOUR_GROUPS, groups, sums, "offered <> 0")


def outbound_groups_sql(groups: Sequence[str]) -> str:
    sums = [f"sum({c})::bigint" for c in OUTBOUND_COLUMNS]
    return _grouped_sql("outbound_buckets", "hour", HOUR_GROUPS, groups, sums, "attempts <> 0")


def sla_groups_sql(groups: Sequence[str]) -> str:
    sums = ["sum(warnings)::bigint", "sum(breaches)::bigint"]
    return _grouped_sql("sla_buckets", "hour", SLA_GROUPS_SQL, groups, sums, "true")


def _grouped_sql(
    table: str,
    column: str,
    expressions: Mapping[str, str],
    groups: Sequence[str],
    sums: Sequence[str],
    nonempty: str,
) -> str:
    """Bucket sums per group over [$1, $2) of the table's time column: one range scan of its
    primary key (time first). Only known groupings and fixed column names reach it."""
    keys = [expressions[g] for g in groups]
    # Without groupings, HAVING keeps an empty period from giving one row of NULL sums.
    tail = f"GROUP BY {', '.join(str(i + 1) for i in range(len(keys)))}" if keys else ""
    return (
        f"SELECT {', '.join([*keys, *sums])} FROM {table}"  # noqa: S608
        f" WHERE {column} >= $1 AND {column} < $2 AND {nonempty} {tail or 'HAVING count(*) > 0'}"
    )


def _range(start: date, end: date, groups: Sequence[str]) -> tuple[date | datetime, ...]:
    """The bounds `call_groups_sql` compares with: days, or local midnights."""
    if all(g in DAY_GROUPS for g in groups):
        return start, end
    return _midnight(start), _midnight(end)


def _key(groups: Sequence[str], values: Sequence[Any]) -> tuple[Any, ...]:
    return tuple(_group_value(g, v) for g, v in zip(groups, values, strict=True))


def _group_value(group: str, value: Any) -> Any:
    """A raw group value from SQL as the report shows it (`periods.period_key`)."""
    if group in ("hour_of_day", "weekday"):
        return int(value)
    if group in PERIOD_KEYS:
        return period_key(value, group)
    return value


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day)


def _outbound_measures(values: Sequence[int]) -> OutboundMeasures:
    counts = dict(zip(COUNT_NAMES, values[: len(COUNT_NAMES)], strict=True))
    ended = dict(zip(OUTCOMES, values[len(COUNT_NAMES) :], strict=True))
    return OutboundMeasures(**counts, ended=ended)


AGENT_BUSY_SQL = """
SELECT hour, agent, 'calls' AS kind, sum(handled)::bigint AS n,
       sum(talk_ms + hold_ms + wrapup_ms)::bigint AS ms
FROM call_buckets
WHERE hour >= $1 AND hour < $2 AND agent <> '' AND handled <> 0
GROUP BY hour, agent
UNION ALL
SELECT hour, agent, 'outbound', sum(talked)::bigint, sum(talk_ms)::bigint
FROM outbound_buckets
WHERE hour >= $1 AND hour < $2 AND agent <> '' AND talked <> 0
GROUP BY hour, agent
"""
# The literal `topic <> 'call-events'` lets the planner use the partial index.
PLACED_EVENTS_SQL = """
SELECT e.topic, e.body::text AS body
FROM entities AS n
JOIN events AS e ON e.entity = n.entity_id AND e.topic = ANY($2::text[])
                AND e.topic <> 'call-events'
WHERE n.kind = $1 AND n.placed_at >= $3 AND n.placed_at < $4
"""
# Ended from `start` on, or still open: two index ranges (most tickets opened before a period
# had ended before it).
OPEN_TICKET_EVENTS_SQL = """
SELECT e.topic, e.body::text AS body
FROM (
    SELECT entity_id FROM entities
    WHERE kind = 'ticket' AND ended_at >= $2 AND placed_at < $3
    UNION ALL
    SELECT entity_id FROM entities
    WHERE kind = 'ticket' AND ended_at IS NULL AND placed_at IS NOT NULL AND placed_at < $3
) AS n
JOIN events AS e ON e.entity = n.entity_id AND e.topic = ANY($1::text[])
                AND e.topic <> 'call-events'
"""
# A logout ends whatever an agent had open (agents.timeline), so replaying from one gives the
# same intervals after it as replaying everything.
AGENT_TIMELINES_SQL = """
SELECT e.topic, e.body::text AS body
FROM entities AS a
CROSS JOIN LATERAL (
    SELECT coalesce((SELECT max(occurred_at) FROM events
                     WHERE topic = 'agent-events' AND event_type = 'agent.logged_out'
                       AND entity = a.entity_id AND occurred_at < $1), '-infinity') AS first,
           coalesce((SELECT min(occurred_at) FROM events
                     WHERE topic = 'agent-events' AND event_type = 'agent.logged_out'
                       AND entity = a.entity_id AND occurred_at >= $2), 'infinity') AS last
) AS b
JOIN events AS e ON e.entity = a.entity_id AND e.topic = 'agent-events'
                AND e.occurred_at >= b.first AND e.occurred_at <= b.last
WHERE a.kind = 'agent'
"""
OPEN_TICKETS_SQL = """
SELECT channel, count(*) AS tickets FROM entities
WHERE kind = 'ticket' AND ended_at IS NULL AND placed_at IS NOT NULL
GROUP BY channel
"""
SLA_TOTALS_SQL = """
SELECT target, team, sum(warnings)::bigint AS warnings, sum(breaches)::bigint AS breaches
FROM sla_buckets GROUP BY target, team
"""
COUNTS_SQL = """
SELECT topic, event_type, events, first_event_at, last_event_at, last_received_at
FROM event_counts ORDER BY topic, event_type
"""
WAITING_SQL = """
SELECT queue, count(*) AS calls FROM call_state
WHERE outcome = 'in_queue' AND offered_at >= $1 GROUP BY queue
"""


class PostgresBatch:
    """The writes of one batch on a connection inside its transaction."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.versions: dict[str, int] = {}  # of the call and attempt rows read, by call id

    async def add_events(
        self, events: Sequence[tuple[str, Event]], received_at: datetime
    ) -> list[tuple[str, Event]]:
        """Insert the events not stored yet; returns those (each once, in batch order)."""
        unique = {e.event_id: (topic, e) for topic, e in reversed(events)}
        ids = sorted(unique)  # one lock order for every transaction
        rows = [unique[i] for i in ids]
        new = await self.connection.fetch(
            INSERT_EVENTS_SQL,
            ids,
            [t for t, _ in rows],
            [e.event_type for _, e in rows],
            [e.occurred_at for _, e in rows],
            received_at,
            [e.model_dump_json() for _, e in rows],
            [entity_of(t, e) for t, e in rows],
        )
        stored = {r["event_id"] for r in new}
        seen: set[str] = set()
        out = []
        for topic, event in events:
            if event.event_id in stored and event.event_id not in seen:
                seen.add(event.event_id)
                out.append((topic, event))
        return out

    async def lock_calls(self, call_ids: Sequence[str]) -> dict[str, list[CallFact]]:
        """The facts stored of these calls (none for a new one), their rows locked until the
        end of the transaction."""
        rows = await self.connection.fetch(LOCK_CALLS_SQL, sorted(call_ids))
        self.versions.update((r["call_id"], r["version"]) for r in rows)
        return {r["call_id"]: [_call_fact(f) for f in json.loads(r["facts"])] for r in rows}

    async def save_calls(self, changes: CallChanges) -> None:
        updates = sorted(changes.updates, key=lambda u: u.call_id)
        rows = [u.row for u in updates]
        ids = [u.call_id for u in updates]
        saved = await self.connection.fetch(
            SAVE_CALLS_SQL,
            ids,
            [self.versions.get(i, 0) + 1 for i in ids],
            [json.dumps([_call_fact_json(f) for f in u.facts]) for u in updates],
            [u.hour for u in updates],
            [r and r.queue for r in rows],
            [r and r.agent for r in rows],
            [r and r.outcome.value for r in rows],
            [r and r.wait_ms for r in rows],
            [r and r.offered_at for r in rows],
        )
        _check_saved(saved, ids)
        if not changes.buckets:
            return
        keys = sorted(changes.buckets)
        buckets = [changes.buckets[k] for k in keys]
        measures = [[getattr(b.measures, m) for b in buckets] for m in MEASURE_NAMES]
        await self.connection.execute(
            UPSERT_CALL_BUCKETS_SQL,
            *_key_columns(keys),
            *measures,
            [b.longest_wait_ms for b in buckets],
            [b.longest_answered_wait_ms for b in buckets],
        )
        left = [k for k, b in zip(keys, buckets, strict=True) if b.recompute_longest]
        if left:
            await self.connection.execute(RECOMPUTE_LONGEST_SQL, *_key_columns(left))
        await self._save_days(changes)

    async def _save_days(self, changes: CallChanges) -> None:
        """The same changes rolled up to local days; a day's longest waits are recomputed from
        its hour buckets (just recomputed themselves) when a waited call left one."""
        days = by_day(changes.buckets)
        keys = sorted(days)
        rollups = [days[k] for k in keys]
        measures = [[getattr(b.measures, m) for b in rollups] for m in MEASURE_NAMES]
        await self.connection.execute(
            UPSERT_CALL_DAYS_SQL,
            *_key_columns(keys),
            *measures,
            [b.longest_wait_ms for b in rollups],
            [b.longest_answered_wait_ms for b in rollups],
        )
        left = [k for k, b in zip(keys, rollups, strict=True) if b.recompute_longest]
        if left:
            await self.connection.execute(RECOMPUTE_DAY_LONGEST_SQL, *_key_columns(left))

    async def lock_outbound(self, call_ids: Sequence[str]) -> dict[str, list[OutboundFact]]:
        rows = await self.connection.fetch(LOCK_OUTBOUND_SQL, sorted(call_ids))
        self.versions.update((r["call_id"], r["version"]) for r in rows)
        return {r["call_id"]: [_outbound_fact(f) for f in json.loads(r["facts"])] for r in rows}

    async def save_outbound(self, changes: OutboundChanges) -> None:
        updates = sorted(changes.updates, key=lambda u: u.call_id)
        ids = [u.call_id for u in updates]
        saved = await self.connection.fetch(
            SAVE_OUTBOUND_SQL,
            ids,
            [self.versions.get(i, 0) + 1 for i in ids],
            [json.dumps([_outbound_fact_json(f) for f in u.facts]) for u in updates],
        )
        _check_saved(saved, ids)
        if not changes.buckets:
            return
        keys = sorted(changes.buckets)
        buckets = [changes.buckets[k] for k in keys]
        counts = [[getattr(b, c) for b in buckets] for c in COUNT_NAMES]
        ended = [[b.ended[o] for b in buckets] for o in OUTCOMES]
        await self.connection.execute(
            UPSERT_OUTBOUND_BUCKETS_SQL, *_key_columns(keys), *counts, *ended
        )

    async def count(self, new: Sequence[tuple[str, Event]], received_at: datetime) -> None:
        """Add the new events to the counts of their topic and event type."""
        counts: dict[tuple[str, str], list[Any]] = {}
        for topic, event in new:
            at = event.occurred_at
            entry = counts.setdefault((topic, event.event_type), [0, at, at])
            entry[0] += 1
            entry[1], entry[2] = min(entry[1], at), max(entry[2], at)
        if not counts:
            return
        keys = sorted(counts)
        await self.connection.execute(
            UPSERT_COUNTS_SQL,
            [t for t, _ in keys],
            [k for _, k in keys],
            [counts[k][0] for k in keys],
            [counts[k][1] for k in keys],
            [counts[k][2] for k in keys],
            received_at,
        )

    async def place_entities(self, changes: EntityChanges) -> None:
        """Keep each entity's earliest (or latest) place and a ticket's latest step (close,
        reopening, merge), which says whether and when it ended."""
        keys = changes.keys()
        if not keys:
            return
        placings = [changes.placings.get(k) for k in keys]
        steps = [changes.steps.get(k) for k in keys]
        await self.connection.execute(
            PLACE_ENTITIES_SQL,
            [kind for kind, _ in keys],
            [entity for _, entity in keys],
            [p and p.rank_at for p in placings],
            [p and p.rank_id for p in placings],
            [p and p.placed_at for p in placings],
            [p and p.channel for p in placings],
            [s and s.rank_at for s in steps],
            [s and s.rank_id for s in steps],
            [s and s.ended_at for s in steps],
        )

    async def save_sla(self, buckets: Mapping[SlaKey, SlaCounts]) -> None:
        """Add a batch's new SLA events to their hour buckets (in key order: the lock order)."""
        if not buckets:
            return
        keys = sorted(buckets)
        columns = list(zip(*keys, strict=True))
        await self.connection.execute(
            UPSERT_SLA_BUCKETS_SQL,
            *(list(c) for c in columns),
            [buckets[k].warnings for k in keys],
            [buckets[k].breaches for k in keys],
        )


class StaleState(Exception):
    """A call's row changed under the batch (two instances held its partition during a
    rebalance): the batch is rolled back and done again on the row as it is now."""


def _check_saved(saved: Sequence[Any], ids: Sequence[str]) -> None:
    if len(saved) != len(ids):
        missed = sorted(set(ids) - {r["call_id"] for r in saved})
        raise StaleState(f"call rows changed under the batch: {missed[:5]}")


def _key_columns(
    keys: Iterable[tuple[Any, str, str]],
) -> tuple[list[Any], list[str], list[str]]:
    hours: list[Any] = []
    queues: list[str] = []
    agents: list[str] = []
    for hour, queue, agent in keys:
        hours.append(hour)
        queues.append(queue)
        agents.append(agent)
    return hours, queues, agents


def _call_fact_json(f: CallFact) -> list[Any]:
    return [
        f.event_id,
        f.kind,
        f.at.isoformat(),
        f.queue,
        f.agent,
        f.wait_ms,
        f.talk_ms,
        f.hold_ms,
        f.wrapup_ms,
    ]


def _call_fact(v: list[Any]) -> CallFact:
    return CallFact(v[0], v[1], datetime.fromisoformat(v[2]), *v[3:])


def _outbound_fact_json(f: OutboundFact) -> list[Any]:
    return [
        f.event_id,
        f.kind,
        f.at.isoformat(),
        f.queue,
        f.agent,
        f.outcome,
        f.connected,
        f.talk_ms,
    ]


def _outbound_fact(v: list[Any]) -> OutboundFact:
    return OutboundFact(v[0], v[1], datetime.fromisoformat(v[2]), *v[3:])


def _placeholders(start: int, types: Sequence[str]) -> str:
    return ", ".join(f"${start + i}::{t}[]" for i, t in enumerate(types))


def _increments(table: str, columns: Sequence[str]) -> str:
    return ", ".join(f"{c} = {table}.{c} + EXCLUDED.{c}" for c in columns)


INSERT_EVENTS_SQL = """
INSERT INTO events (event_id, topic, event_type, occurred_at, received_at, body, entity)
SELECT e.event_id, e.topic, e.event_type, e.occurred_at, $5, e.body::jsonb, e.entity
FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $6::text[], $7::text[])
     AS e(event_id, topic, event_type, occurred_at, body, entity)
ON CONFLICT (event_id) DO NOTHING
RETURNING event_id
"""
# Existing rows are locked and read; a new call has none yet. Its row is written once, by
# SAVE_CALLS_SQL, and only over the version read (optimistic for new rows: a row another
# transaction inserted meanwhile fails the version check, and the batch is done again).
LOCK_CALLS_SQL = """
SELECT call_id, facts, version FROM call_state
WHERE call_id = ANY($1::text[]) ORDER BY call_id FOR UPDATE
"""
SAVE_CALLS_SQL = """
INSERT INTO call_state AS c
    (call_id, version, facts, hour, queue, agent, outcome, wait_ms, offered_at)
SELECT u.call_id, u.version, u.facts, u.hour, u.queue, u.agent, u.outcome, u.wait_ms,
       u.offered_at
FROM unnest($1::text[], $2::int[], $3::text[], $4::timestamp[], $5::text[], $6::text[],
            $7::text[], $8::bigint[], $9::timestamptz[])
     AS u(call_id, version, facts, hour, queue, agent, outcome, wait_ms, offered_at)
ORDER BY u.call_id
ON CONFLICT (call_id) DO UPDATE SET
    version = EXCLUDED.version, facts = EXCLUDED.facts, hour = EXCLUDED.hour,
    queue = EXCLUDED.queue, agent = EXCLUDED.agent, outcome = EXCLUDED.outcome,
    wait_ms = EXCLUDED.wait_ms, offered_at = EXCLUDED.offered_at
WHERE c.version = EXCLUDED.version - 1
RETURNING call_id
"""
_CALL_VALUES = (*MEASURE_NAMES, "longest_wait_ms", "longest_answered_wait_ms")
UPSERT_CALL_BUCKETS_SQL = f"""
INSERT INTO call_buckets AS b (hour, queue, agent, {", ".join(_CALL_VALUES)})
SELECT * FROM unnest($1::timestamp[], $2::text[], $3::text[],
                     {_placeholders(4, ["bigint"] * len(_CALL_VALUES))})
ORDER BY 1, 2, 3
ON CONFLICT (hour, queue, agent) DO UPDATE SET {_increments("b", MEASURE_NAMES)},
    longest_wait_ms = GREATEST(b.longest_wait_ms, EXCLUDED.longest_wait_ms),
    longest_answered_wait_ms = GREATEST(b.longest_answered_wait_ms,
                                        EXCLUDED.longest_answered_wait_ms)
"""  # noqa: S608 (fixed column names)
# Every transaction that moves a call in or out of a bucket holds the bucket's row lock from
# its upsert to its commit, so this statement sees every call the bucket holds.
RECOMPUTE_LONGEST_SQL = """
UPDATE call_buckets AS b
SET longest_wait_ms = (
        SELECT max(c.wait_ms) FROM call_state AS c
        WHERE (c.hour, c.queue, c.agent) = (b.hour, b.queue, b.agent)
          AND c.outcome <> 'in_queue'),
    longest_answered_wait_ms = (
        SELECT max(c.wait_ms) FROM call_state AS c
        WHERE (c.hour, c.queue, c.agent) = (b.hour, b.queue, b.agent)
          AND c.outcome = 'answered')
FROM unnest($1::timestamp[], $2::text[], $3::text[]) AS k(hour, queue, agent)
WHERE (b.hour, b.queue, b.agent) = (k.hour, k.queue, k.agent)
"""
UPSERT_CALL_DAYS_SQL = f"""
INSERT INTO call_days AS b (day, queue, agent, {", ".join(_CALL_VALUES)})
SELECT * FROM unnest($1::date[], $2::text[], $3::text[],
                     {_placeholders(4, ["bigint"] * len(_CALL_VALUES))})
ORDER BY 1, 2, 3
ON CONFLICT (day, queue, agent) DO UPDATE SET {_increments("b", MEASURE_NAMES)},
    longest_wait_ms = GREATEST(b.longest_wait_ms, EXCLUDED.longest_wait_ms),
    longest_answered_wait_ms = GREATEST(b.longest_answered_wait_ms,
                                        EXCLUDED.longest_answered_wait_ms)
"""  # noqa: S608 (fixed column names)
# As for the hours: a day row is locked by every transaction that changes one of its hours.
RECOMPUTE_DAY_LONGEST_SQL = """
UPDATE call_days AS d
SET longest_wait_ms = m.longest, longest_answered_wait_ms = m.answered
FROM (
    SELECT k.day, k.queue, k.agent,
           max(b.longest_wait_ms) AS longest, max(b.longest_answered_wait_ms) AS answered
    FROM unnest($1::date[], $2::text[], $3::text[]) AS k(day, queue, agent)
    LEFT JOIN call_buckets AS b
      ON b.hour >= k.day AND b.hour < k.day + 1 AND b.queue = k.queue AND b.agent = k.agent
    GROUP BY k.day, k.queue, k.agent
) AS m
WHERE (d.day, d.queue, d.agent) = (m.day, m.queue, m.agent)
"""
LOCK_OUTBOUND_SQL = """
SELECT call_id, facts, version FROM outbound_state
WHERE call_id = ANY($1::text[]) ORDER BY call_id FOR UPDATE
"""
SAVE_OUTBOUND_SQL = """
INSERT INTO outbound_state AS o (call_id, version, facts)
SELECT u.call_id, u.version, u.facts
FROM unnest($1::text[], $2::int[], $3::text[]) AS u(call_id, version, facts)
ORDER BY u.call_id
ON CONFLICT (call_id) DO UPDATE SET version = EXCLUDED.version, facts = EXCLUDED.facts
WHERE o.version = EXCLUDED.version - 1
RETURNING call_id
"""
UPSERT_OUTBOUND_BUCKETS_SQL = f"""
INSERT INTO outbound_buckets AS b (hour, queue, agent, {", ".join(OUTBOUND_COLUMNS)})
SELECT * FROM unnest($1::timestamp[], $2::text[], $3::text[],
                     {_placeholders(4, ["bigint"] * len(OUTBOUND_COLUMNS))})
ORDER BY 1, 2, 3
ON CONFLICT (hour, queue, agent) DO UPDATE SET {_increments("b", OUTBOUND_COLUMNS)}
"""  # noqa: S608 (fixed column names)
# A candidate replaces the entity's place when it comes earlier (later for LATEST_KINDS).
_REPLACES = f"""
EXCLUDED.rank_at IS NOT NULL AND (n.rank_at IS NULL OR CASE
    WHEN n.kind IN ({", ".join(f"'{k}'" for k in LATEST_KINDS)})
    THEN (EXCLUDED.rank_at, EXCLUDED.rank_id) > (n.rank_at, n.rank_id)
    ELSE (EXCLUDED.rank_at, EXCLUDED.rank_id) < (n.rank_at, n.rank_id) END)
"""
# A ticket's step replaces the one kept when it comes later: the latest says whether it ended.
_LATER_STEP = """
EXCLUDED.step_at IS NOT NULL AND (n.step_at IS NULL
    OR (EXCLUDED.step_at, EXCLUDED.step_id) > (n.step_at, n.step_id))
"""
PLACE_ENTITIES_SQL = f"""
INSERT INTO entities AS n
    (kind, entity_id, rank_at, rank_id, placed_at, channel, step_at, step_id, ended_at)
SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[],
                     $5::timestamptz[], $6::text[], $7::timestamptz[], $8::text[],
                     $9::timestamptz[])
ORDER BY 1, 2
ON CONFLICT (kind, entity_id) DO UPDATE SET
    rank_at = CASE WHEN {_REPLACES} THEN EXCLUDED.rank_at ELSE n.rank_at END,
    rank_id = CASE WHEN {_REPLACES} THEN EXCLUDED.rank_id ELSE n.rank_id END,
    placed_at = CASE WHEN {_REPLACES} THEN EXCLUDED.placed_at ELSE n.placed_at END,
    channel = CASE WHEN {_REPLACES} THEN EXCLUDED.channel ELSE n.channel END,
    step_at = CASE WHEN {_LATER_STEP} THEN EXCLUDED.step_at ELSE n.step_at END,
    step_id = CASE WHEN {_LATER_STEP} THEN EXCLUDED.step_id ELSE n.step_id END,
    ended_at = CASE WHEN {_LATER_STEP} THEN EXCLUDED.ended_at ELSE n.ended_at END
"""  # noqa: S608 (fixed kind names)
UPSERT_SLA_BUCKETS_SQL = """
INSERT INTO sla_buckets AS b (hour, target, cluster, priority, team, warnings, breaches)
SELECT * FROM unnest($1::timestamp[], $2::text[], $3::text[], $4::text[], $5::text[],
                     $6::bigint[], $7::bigint[])
ORDER BY 1, 2, 3, 4, 5
ON CONFLICT (hour, target, cluster, priority, team) DO UPDATE SET
    warnings = b.warnings + EXCLUDED.warnings, breaches = b.breaches + EXCLUDED.breaches
"""
UPSERT_COUNTS_SQL = """
INSERT INTO event_counts AS c
    (topic, event_type, events, first_event_at, last_event_at, last_received_at)
SELECT n.topic, n.event_type, n.events, n.first_at, n.last_at, $6
FROM unnest($1::text[], $2::text[], $3::bigint[], $4::timestamptz[], $5::timestamptz[])
     AS n(topic, event_type, events, first_at, last_at)
ORDER BY 1, 2
ON CONFLICT (topic, event_type) DO UPDATE SET
    events = c.events + EXCLUDED.events,
    first_event_at = LEAST(c.first_event_at, EXCLUDED.first_event_at),
    last_event_at = GREATEST(c.last_event_at, EXCLUDED.last_event_at),
    last_received_at = GREATEST(c.last_received_at, EXCLUDED.last_received_at)
"""

"""The hot statements of kpi's store name the index they read, from `EXPLAIN` on the real
PostgreSQL (sequential scans priced out: a test's tables are tiny)."""

from datetime import UTC, date, datetime

import pytest

from cc_schemas import CHAT_EVENTS, TICKET_CLOSED, TICKET_OPENED
from cc_testing.postgres import indexes_used
from kpi.repository import (
    AGENT_BUSY_SQL,
    AGENT_TIMELINES_SQL,
    OPEN_TICKET_EVENTS_SQL,
    OPEN_TICKETS_SQL,
    PLACED_EVENTS_SQL,
    RECOMPUTE_DAY_LONGEST_SQL,
    RECOMPUTE_LONGEST_SQL,
    WAITING_SQL,
    PostgresKpiStore,
    call_groups_sql,
    outbound_groups_sql,
    sla_groups_sql,
)

pytestmark = pytest.mark.infra

YEAR = (datetime(2025, 1, 1), datetime(2026, 1, 1))


async def used(store: PostgresKpiStore, sql: str, *args: object) -> set[str]:
    async with store.database.connection() as connection:
        return await indexes_used(connection, sql, *args)


@pytest.mark.parametrize("groups", [("month", "queue"), (), ("day", "queue", "agent"), ("week",)])
async def test_a_call_report_without_hours_reads_a_range_of_the_day_buckets(
    kpi_store: PostgresKpiStore, groups: tuple[str, ...]
) -> None:
    days = (date(2025, 1, 1), date(2026, 1, 1))

    assert await used(kpi_store, call_groups_sql(groups), *days) == {"call_days_pkey"}


@pytest.mark.parametrize("groups", [("hour",), ("hour_of_day", "queue")])
async def test_a_call_report_by_the_hour_reads_a_range_of_the_hour_buckets(
    kpi_store: PostgresKpiStore, groups: tuple[str, ...]
) -> None:
    assert await used(kpi_store, call_groups_sql(groups), *YEAR) == {"call_buckets_pkey"}


async def test_a_day_s_longest_waits_are_recomputed_from_its_hour_buckets(
    kpi_store: PostgresKpiStore,
) -> None:
    keys = ([date(2025, 3, 1)], ["sales"], ["1127"])

    found = await used(kpi_store, RECOMPUTE_DAY_LONGEST_SQL, *keys)

    assert found == {"call_days_pkey", "call_buckets_pkey"}


@pytest.mark.parametrize("groups", [(), ("target", "team", "day"), ("hour",)])
async def test_an_sla_report_reads_a_range_of_its_buckets_primary_key(
    kpi_store: PostgresKpiStore, groups: tuple[str, ...]
) -> None:
    assert await used(kpi_store, sla_groups_sql(groups), *YEAR) == {"sla_buckets_pkey"}


async def test_an_outbound_report_reads_a_range_of_its_buckets_primary_key(
    kpi_store: PostgresKpiStore,
) -> None:
    sql = outbound_groups_sql(("week", "agent"))

    assert await used(kpi_store, sql, *YEAR) == {"outbound_buckets_pkey"}


async def test_the_agents_busy_time_reads_both_bucket_keys(kpi_store: PostgresKpiStore) -> None:
    expected = {"call_buckets_pkey", "outbound_buckets_pkey"}

    assert await used(kpi_store, AGENT_BUSY_SQL, *YEAR) == expected


async def test_the_longest_waits_are_recomputed_from_the_calls_of_their_bucket_alone(
    kpi_store: PostgresKpiStore,
) -> None:
    keys = ([datetime(2025, 3, 1, 10)], ["sales"], ["1127"])

    found = await used(kpi_store, RECOMPUTE_LONGEST_SQL, *keys)

    assert found == {"call_buckets_pkey", "call_state_by_bucket"}


async def test_calls_waiting_now_are_read_from_the_partial_index_of_calls_in_queue(
    kpi_store: PostgresKpiStore,
) -> None:
    since = datetime(2025, 3, 1, 10).astimezone()

    assert await used(kpi_store, WAITING_SQL, since) == {"call_state_waiting"}


WEEK = (datetime(2025, 3, 1, tzinfo=UTC), datetime(2025, 3, 8, tzinfo=UTC))


async def test_a_report_reads_the_events_of_the_entities_placed_in_its_period(
    kpi_store: PostgresKpiStore,
) -> None:
    found = await used(kpi_store, PLACED_EVENTS_SQL, "chat", [CHAT_EVENTS], *WEEK)

    assert found == {"entities_placed", "events_by_entity"}


async def test_the_backlog_reads_the_tickets_closed_since_its_start_and_those_still_open(
    kpi_store: PostgresKpiStore,
) -> None:
    topics = [TICKET_OPENED, TICKET_CLOSED]

    found = await used(kpi_store, OPEN_TICKET_EVENTS_SQL, topics, *WEEK)

    assert found == {"entities_closed", "entities_open_tickets", "events_by_entity"}


async def test_agents_timelines_are_read_from_a_logout_to_a_logout(
    kpi_store: PostgresKpiStore,
) -> None:
    found = await used(kpi_store, AGENT_TIMELINES_SQL, *WEEK)

    # The agents' own rows (a few hundred) are found by whichever index leads with the kind.
    assert {"events_agent_logouts", "events_by_entity"} <= found


async def test_the_open_tickets_now_are_counted_from_their_partial_index(
    kpi_store: PostgresKpiStore,
) -> None:
    assert await used(kpi_store, OPEN_TICKETS_SQL) == {"entities_open_tickets"}

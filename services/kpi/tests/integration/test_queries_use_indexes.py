"""The hot statements of kpi's store name the index they read, from `EXPLAIN` on the real
PostgreSQL (sequential scans priced out: a test's tables are tiny)."""

from datetime import date, datetime

import pytest

from cc_schemas import AGENT_EVENTS
from cc_testing.postgres import indexes_used
from kpi.repository import (
    AGENT_BUSY_SQL,
    EVENTS_OF_SQL,
    RECOMPUTE_DAY_LONGEST_SQL,
    RECOMPUTE_LONGEST_SQL,
    WAITING_SQL,
    PostgresKpiStore,
    call_groups_sql,
    outbound_groups_sql,
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


async def test_a_topic_s_events_are_read_by_topic(kpi_store: PostgresKpiStore) -> None:
    assert await used(kpi_store, EVENTS_OF_SQL, [AGENT_EVENTS]) == {"events_by_topic"}

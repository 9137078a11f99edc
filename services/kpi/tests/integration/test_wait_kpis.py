"""The waits a manager reads in the call report: the longest wait overall and of answered calls
apart, and the mean wait of abandoned calls (short abandons left out), kept exact when a late
event changes a call's outcome (on the real PostgreSQL)."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from cc_schemas import (
    CALL_EVENTS,
    CallAbandoned,
    CallAnswered,
    Caller,
    CallEvent,
    CallExited,
    CallOffered,
)
from kpi.calls import CallRules
from kpi.handlers import record_events
from kpi.queries import Reports
from kpi.reports import ReportQuery
from kpi.repository import PostgresKpiStore

pytestmark = pytest.mark.infra

T0 = datetime(2026, 11, 23, 9, tzinfo=UTC)
ROME = ZoneInfo("Europe/Rome")


def offered(call_id: str) -> CallOffered:
    return CallOffered(
        event_id=f"{call_id}-o",
        occurred_at=T0,
        source="t",
        call_id=call_id,
        queue="sales",
        caller=Caller(number_raw="1"),
    )


def answered(call_id: str, wait: float) -> CallAnswered:
    at = T0 + timedelta(seconds=wait)
    common = {"source": "t", "call_id": call_id, "queue": "sales"}
    return CallAnswered(
        event_id=f"{call_id}-a", occurred_at=at, agent="A", wait_seconds=wait, **common
    )


def abandoned(call_id: str, wait: float) -> CallAbandoned:
    at = T0 + timedelta(seconds=wait)
    common = {"source": "t", "call_id": call_id, "queue": "sales"}
    return CallAbandoned(
        event_id=f"{call_id}-x", occurred_at=at, wait_seconds=wait, position=1, **common
    )


def timed_out(call_id: str, wait: float) -> CallExited:
    at = T0 + timedelta(seconds=wait)
    common = {"source": "t", "call_id": call_id, "queue": "sales"}
    return CallExited(
        event_id=f"{call_id}-t",
        occurred_at=at,
        reason="timeout",
        wait_seconds=wait,
        position=1,
        **common,
    )


async def total(store: PostgresKpiStore, events: list[CallEvent]) -> dict[str, object]:
    """Each event its own batch, in the order given; the day's total row."""
    rules = CallRules(short_abandon_ms=5_000)
    for event in events:
        await record_events([(CALL_EVENTS, event)], store, rules, ROME, T0)
    (row,) = await Reports(store, ROME).calls(ReportQuery(date(2026, 11, 23), date(2026, 11, 24)))
    return row


async def test_the_longest_wait_answered_leaves_out_a_call_that_timed_out_waiting_longer(
    kpi_store: PostgresKpiStore,
) -> None:
    row = await total(
        kpi_store,
        [
            offered("c1"),
            answered("c1", 42.5),
            offered("c2"),
            answered("c2", 12.0),
            offered("c3"),
            timed_out("c3", 300.0),
        ],
    )

    assert (row["longest_wait_answered_seconds"], row["longest_wait_seconds"]) == (42.5, 300.0)


async def test_the_average_wait_of_abandoned_calls_leaves_out_short_abandons(
    kpi_store: PostgresKpiStore,
) -> None:
    row = await total(
        kpi_store,
        [
            offered("c1"),
            abandoned("c1", 30.0),
            offered("c2"),
            abandoned("c2", 61.0),
            offered("c3"),
            abandoned("c3", 2.0),  # short: reported apart
            offered("c4"),
            answered("c4", 80.0),
        ],
    )

    assert (row["abandoned"], row["short_abandoned"]) == (2, 1)
    assert (row["abandoned_wait_ms"], row["average_wait_abandoned_seconds"]) == (91_000, 45.5)


async def test_a_late_answer_takes_the_call_out_of_the_abandoned_waits(
    kpi_store: PostgresKpiStore,
) -> None:
    row = await total(kpi_store, [offered("c1"), abandoned("c1", 30.0), answered("c1", 30.0)])

    assert (row["abandoned_wait_ms"], row["average_wait_abandoned_seconds"]) == (0, None)
    assert row["longest_wait_answered_seconds"] == 30.0


async def test_a_day_without_answered_or_abandoned_calls_has_no_such_waits(
    kpi_store: PostgresKpiStore,
) -> None:
    row = await total(kpi_store, [offered("c1"), timed_out("c1", 120.0), offered("c2")])

    assert (row["longest_wait_answered_seconds"], row["average_wait_abandoned_seconds"]) == (
        None,
        None,
    )
    assert row["longest_wait_seconds"] == 120.0


async def test_the_new_measures_come_last_so_csv_columns_keep_their_places(
    kpi_store: PostgresKpiStore,
) -> None:
    columns = list(await total(kpi_store, [offered("c1")]))

    assert columns[-4:] == [
        "average_handling_seconds",
        "abandoned_wait_ms",
        "average_wait_abandoned_seconds",
        "longest_wait_answered_seconds",
    ]


async def test_a_late_answer_after_the_longest_timeout_brings_the_longest_wait_down(
    kpi_store: PostgresKpiStore,
) -> None:
    """The longest wait cannot be subtracted: it is recomputed from the calls the bucket holds."""
    before = await total(kpi_store, [offered("c1"), timed_out("c1", 300.0), offered("c2")])
    assert before["longest_wait_seconds"] == 300.0

    after = await total(kpi_store, [answered("c1", 10.0), abandoned("c2", 42.0)])

    assert (after["longest_wait_seconds"], after["longest_wait_answered_seconds"]) == (42.0, 10.0)
    assert (after["exited"], after["answered"], after["abandoned"]) == (0, 1, 1)


async def test_an_abandon_under_the_threshold_is_short_and_left_out_of_the_rate(
    kpi_store: PostgresKpiStore,
) -> None:
    row = await total(kpi_store, [offered("c1"), abandoned("c1", 4.999)])

    assert (row["short_abandoned"], row["abandoned"], row["abandon_rate"]) == (1, 0, None)
    assert row["service_level"] is None

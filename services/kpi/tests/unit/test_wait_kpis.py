"""The waits a manager reads in the call report: the longest wait overall and of answered calls
apart, and the mean wait of abandoned calls (short abandons left out), kept exact when a late
event changes a call's outcome."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from cc_schemas import CallAbandoned, CallAnswered, Caller, CallEvent, CallExited, CallOffered
from kpi.calls import CallRules, fact_of
from kpi.projection import CallProjection
from kpi.reports import ReportQuery, call_report

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


def total(events: list[CallEvent]) -> dict[str, object]:
    projection = CallProjection(CallRules(short_abandon_ms=5_000), ROME)
    for event in events:
        projection.apply(event.call_id, fact_of(event))
    (row,) = call_report(projection, ReportQuery(date(2026, 11, 23), date(2026, 11, 24)))
    return row


def test_the_longest_wait_answered_leaves_out_a_call_that_timed_out_waiting_longer() -> None:
    row = total(
        [
            offered("c1"),
            answered("c1", 42.5),
            offered("c2"),
            answered("c2", 12.0),
            offered("c3"),
            timed_out("c3", 300.0),
        ]
    )

    assert (row["longest_wait_answered_seconds"], row["longest_wait_seconds"]) == (42.5, 300.0)


def test_the_average_wait_of_abandoned_calls_leaves_out_short_abandons() -> None:
    row = total(
        [
            offered("c1"),
            abandoned("c1", 30.0),
            offered("c2"),
            abandoned("c2", 61.0),
            offered("c3"),
            abandoned("c3", 2.0),  # short: reported apart
            offered("c4"),
            answered("c4", 80.0),
        ]
    )

    assert (row["abandoned"], row["short_abandoned"]) == (2, 1)
    assert (row["abandoned_wait_ms"], row["average_wait_abandoned_seconds"]) == (91_000, 45.5)


def test_a_late_answer_takes_the_call_out_of_the_abandoned_waits() -> None:
    row = total([offered("c1"), abandoned("c1", 30.0), answered("c1", 30.0)])

    assert (row["abandoned_wait_ms"], row["average_wait_abandoned_seconds"]) == (0, None)
    assert row["longest_wait_answered_seconds"] == 30.0


def test_a_day_without_answered_or_abandoned_calls_has_no_such_waits() -> None:
    row = total([offered("c1"), timed_out("c1", 120.0), offered("c2")])

    assert (row["longest_wait_answered_seconds"], row["average_wait_abandoned_seconds"]) == (
        None,
        None,
    )
    assert row["longest_wait_seconds"] == 120.0


def test_the_new_measures_come_last_so_csv_columns_keep_their_places() -> None:
    columns = list(total([offered("c1")]))

    assert columns[-4:] == [
        "average_handling_seconds",
        "abandoned_wait_ms",
        "average_wait_abandoned_seconds",
        "longest_wait_answered_seconds",
    ]

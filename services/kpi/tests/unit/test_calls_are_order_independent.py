"""A call's row and the hour buckets depend on the set of its events, not on their order or on
duplicates; a late event moves the call's contribution instead of adding to it."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from cc_schemas import (
    CallAbandoned,
    CallAnswered,
    CallEnded,
    Caller,
    CallEvent,
    CallOffered,
    EndedBy,
)
from kpi.calls import CallRules, Outcome, derive_row, fact_of
from kpi.projection import CallProjection
from kpi.reports import ReportQuery, call_report

T0 = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # the night Rome switches to summer time
ROME = ZoneInfo("Europe/Rome")


def call(call_id: str, wait: float) -> list[CallEvent]:
    def at(seconds: float) -> dict[str, object]:
        return {"occurred_at": T0 + timedelta(seconds=seconds), "source": "t", "call_id": call_id}

    caller = Caller(number_raw="1")
    return [
        CallOffered(event_id=f"{call_id}-o", queue="sales", caller=caller, **at(0)),
        CallAbandoned(
            event_id=f"{call_id}-x", queue="sales", wait_seconds=wait, position=1, **at(wait)
        ),
        CallAnswered(event_id=f"{call_id}-a", agent="A", wait_seconds=wait, **at(wait)),
        CallEnded(
            event_id=f"{call_id}-e",
            agent="A",
            wait_seconds=wait,
            talk_seconds=30.5,
            hold_seconds=None,
            wrapup_seconds=4,
            ended_by=EndedBy.AGENT,
            **at(wait + 30.5),
        ),
    ]


def report(projection: CallProjection) -> list[dict[str, object]]:
    return call_report(projection, ReportQuery(date(2026, 3, 1), date(2026, 4, 1), ("hour",)))


@settings(max_examples=60, deadline=None)
@given(
    orders=st.lists(st.permutations(range(8)), min_size=2, max_size=2),
    waits=st.lists(st.floats(0, 400, allow_nan=False), min_size=2, max_size=2),
)
def test_any_order_with_duplicates_gives_the_same_report(
    orders: list[list[int]], waits: list[float]
) -> None:
    events = call("c1", waits[0]) + call("c2", waits[1])
    reports = []
    for order in orders:
        projection = CallProjection(CallRules(), ROME)
        for index in [*order, *order[:3]]:
            projection.apply(events[index].call_id, fact_of(events[index]))
        reports.append(report(projection))
    assert reports[0] == reports[1]


def test_a_late_answer_turns_a_counted_abandon_into_an_answered_call() -> None:
    offered, abandoned, answered, _ = call("c1", 12.0)
    projection = CallProjection(CallRules(), ROME)
    for event in (offered, abandoned):
        projection.apply("c1", fact_of(event))
    assert report(projection)[0]["abandoned"] == 1

    projection.apply("c1", fact_of(answered))

    (row,) = report(projection)
    assert (row["abandoned"], row["answered"], row["answered_in_sl"]) == (0, 1, 1)
    assert row["longest_wait_seconds"] == 12.0


def test_a_call_without_its_offer_is_not_counted_until_the_offer_arrives() -> None:
    offered, _, answered, ended = call("c1", 3.0)
    facts = [fact_of(answered), fact_of(ended)]

    assert derive_row("c1", facts, CallRules()) is None
    row = derive_row("c1", [*facts, fact_of(offered)], CallRules())
    assert row is not None
    assert (row.outcome, row.talk_ms, row.wrapup_ms, row.hold_ms) == (
        Outcome.ANSWERED,
        30_500,
        4_000,
        0,
    )


def test_an_abandon_under_the_threshold_is_short_and_left_out_of_the_rate() -> None:
    offered, abandoned, _, _ = call("c1", 4.999)
    projection = CallProjection(CallRules(short_abandon_ms=5_000), ROME)
    for event in (offered, abandoned):
        projection.apply("c1", fact_of(event))

    (row,) = report(projection)
    assert (row["short_abandoned"], row["abandoned"], row["abandon_rate"]) == (1, 0, None)
    assert row["service_level"] is None

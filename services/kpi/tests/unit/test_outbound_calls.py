"""Outbound attempts: counted once from whichever of their events arrive, in any order; connected
when the customer answered; their talk time in the agent's busy time."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry

from cc_schemas import (
    CALL_EVENTS,
    Caller,
    CallEvent,
    CallOutboundAnswered,
    CallOutboundDialled,
    CallOutboundEnded,
)
from kpi.agents_report import agent_report
from kpi.calls import CallRules
from kpi.metrics import KpiCollector
from kpi.outbound_report import outbound_report
from kpi.reports import ReportQuery, call_report
from kpi.state import KpiState

T0 = datetime(2026, 11, 23, 8, 59, 50, tzinfo=UTC)  # 09:59:50 in Rome
ROME = ZoneInfo("Europe/Rome")
DAY = ReportQuery(date(2026, 11, 23), date(2026, 11, 24))
NUMBER = Caller(number_raw="0212345678", e164="+390212345678")


def attempt(call_id: str, outcome: str = "completed", talk: float | None = 95.5) -> list[CallEvent]:
    """Dialled at T0, answered 20 s later (when completed or transferred), then ended."""
    common = {"source": "t", "call_id": call_id, "queue": "callback", "agent": "1127"}
    connected = outcome in ("completed", "transferred")
    events: list[CallEvent] = [
        CallOutboundDialled(event_id=f"{call_id}-d", occurred_at=T0, dialled=NUMBER, **common)
    ]
    if connected:
        at = T0 + timedelta(seconds=20)
        events.append(CallOutboundAnswered(event_id=f"{call_id}-a", occurred_at=at, **common))
    events.append(
        CallOutboundEnded(
            event_id=f"{call_id}-e",
            occurred_at=T0 + timedelta(seconds=200),
            outcome=outcome,
            connected=connected,
            talk_seconds=talk if connected else 0,
            **common,
        )
    )
    return events


def fold(events: list[CallEvent]) -> KpiState:
    state = KpiState(CallRules(), ROME)
    for event in events:
        state.apply(CALL_EVENTS, event)
    return state


def total(state: KpiState) -> dict[str, object]:
    (row,) = outbound_report(state, DAY)
    return row


def test_attempts_are_counted_connected_or_not_by_their_outcome_with_their_talk_time() -> None:
    state = fold(attempt("c1") + attempt("c2", "busy") + attempt("c3", "no_answer"))

    row = total(state)

    assert (row["attempts"], row["connected"], row["not_connected"]) == (3, 1, 2)
    assert (row["completed"], row["busy"], row["no_answer"], row["transferred"]) == (1, 1, 1, 0)
    assert (row["talk_ms"], row["average_talk_seconds"], row["connect_rate"]) == (
        95_500,
        95.5,
        1 / 3,
    )


def test_outbound_calls_are_not_queue_calls() -> None:
    state = fold(attempt("c1"))

    (calls,) = call_report(state.calls, DAY)

    assert calls["offered"] == 0


def test_an_attempt_logged_by_its_end_alone_is_counted() -> None:
    """Asterisk's own OUTCALL verb gives only the end."""
    *_, ended = attempt("c1")

    row = total(fold([ended]))

    assert (row["attempts"], row["connected"], row["talk_ms"]) == (1, 1, 95_500)


def test_a_late_dial_moves_the_attempt_to_the_hour_it_was_dialled() -> None:
    dialled, answered, ended = attempt("c1")
    state = fold([ended, answered])
    hours = ReportQuery(DAY.start, DAY.end, ("hour",))
    assert [r["hour"] for r in outbound_report(state, hours)] == ["2026-11-23T10:00"]

    state.apply(CALL_EVENTS, dialled)

    assert [(r["hour"], r["attempts"]) for r in outbound_report(state, hours)] == [
        ("2026-11-23T09:00", 1)
    ]


def test_an_attempt_still_dialling_or_talking_is_in_progress_or_connected() -> None:
    dialled, answered, _ = attempt("c1")
    dialling, *_ = attempt("c2")

    row = total(fold([dialled, answered, dialling]))

    assert (row["attempts"], row["in_progress"], row["connected"], row["talked"]) == (2, 1, 1, 0)
    assert row["connect_rate"] == 1.0


def test_outbound_talk_time_is_in_the_agents_busy_time() -> None:
    state = fold(
        attempt("c1", talk=60) + attempt("c2", "transferred", talk=30) + attempt("c3", "busy")
    )

    (row,) = agent_report(state, ReportQuery(DAY.start, DAY.end, ("agent",)))

    assert (row["agent"], row["busy_ms"], row["outbound_talk_ms"], row["outbound_talked"]) == (
        "1127",
        90_000,
        90_000,
        2,
    )
    assert row["handled"] == 0  # queue calls only


def test_prometheus_counts_outbound_attempts_and_talk_time_per_queue() -> None:
    registry = CollectorRegistry()
    registry.register(KpiCollector(fold(attempt("c1") + attempt("c2", "busy")), 0.8))
    queue = {"queue": "callback"}

    assert [
        registry.get_sample_value(f"kpi_outbound_{name}_total", queue)
        for name in ("attempts", "connected", "not_connected", "talk_seconds")
    ] == [2, 1, 1, 95.5]


@settings(max_examples=50, deadline=None)
@given(order=st.permutations(range(6)), again=st.lists(st.integers(0, 5), max_size=4))
def test_any_order_with_duplicates_gives_the_same_report(
    order: list[int], again: list[int]
) -> None:
    events = attempt("c1") + attempt("c2", "congestion") + attempt("c3", talk=None)[:1]
    expected = outbound_report(fold(events), ReportQuery(DAY.start, DAY.end, ("hour", "agent")))

    shuffled = [events[i] for i in order] + [events[i] for i in again]

    assert outbound_report(fold(shuffled), ReportQuery(DAY.start, DAY.end, ("hour", "agent"))) == (
        expected
    )

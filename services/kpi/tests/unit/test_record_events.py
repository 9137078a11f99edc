"""Storing and folding a consumed batch (in memory): each event is stored and counted once, a
redelivered batch changes nothing, and an event stored just before a failure is still folded
when its batch comes again."""

from collections.abc import AsyncIterator, Iterable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from cc_schemas import (
    CALL_EVENTS,
    CSAT_RESPONSES,
    AgentEvent,
    CallAbandoned,
    Caller,
    CallEvent,
    CallOffered,
    ChatEvent,
    ContactOutcome,
    ContactRequested,
    CsatSubmitted,
    Event,
    InteractionRecorded,
    TicketEvent,
    topic_spec,
)
from kpi.calls import CallRules
from kpi.handlers import rebuild, record_events
from kpi.reports import ReportQuery, call_report
from kpi.repository import StoredEvent
from kpi.state import KpiState
from kpi.subscribers import CONSUMED

AT = datetime(2026, 11, 23, 10, tzinfo=UTC)
RECEIVED = datetime(2026, 12, 2, 7, tzinfo=UTC)  # an import of history, weeks after AT


class InMemoryEventStore:
    def __init__(self) -> None:
        self.events: dict[str, Event] = {}
        self.sent: list[str] = []  # every event id handed to add_many
        self.topics: dict[str, tuple[str, datetime]] = {}  # event id -> topic, received at

    async def add_many(
        self, topic: str, events: Iterable[Event], received_at: datetime
    ) -> set[str]:
        events = list(events)
        self.sent += [e.event_id for e in events]
        new = {e.event_id: e for e in events if e.event_id not in self.events}
        self.events.update(new)
        self.topics.update({event_id: (topic, received_at) for event_id in new})
        return set(new)

    async def replay(self, topic: str) -> AsyncIterator[StoredEvent]:
        for event_id, event in list(self.events.items()):
            stored_topic, received_at = self.topics[event_id]
            if stored_topic == topic:
                yield StoredEvent(event, received_at)


def calls(n: int) -> list[tuple[str, Event]]:
    out: list[tuple[str, Event]] = []
    for i in range(n):
        common = {"source": "t", "call_id": f"c{i}", "queue": "sales"}
        out.append(
            (
                CALL_EVENTS,
                CallOffered(
                    event_id=f"o{i}", occurred_at=AT, caller=Caller(number_raw="1"), **common
                ),
            )
        )
        out.append(
            (
                CALL_EVENTS,
                CallAbandoned(
                    event_id=f"x{i}",
                    occurred_at=AT + timedelta(seconds=30),
                    wait_seconds=30,
                    position=1,
                    **common,
                ),
            )
        )
    return out


CSAT = CsatSubmitted(
    event_id="s1",
    occurred_at=AT,
    source="t",
    response_id="r1",
    customer_id="C1",
    score=5,
    channel="phone",
)


def fresh() -> tuple[InMemoryEventStore, KpiState]:
    return InMemoryEventStore(), KpiState(CallRules(), ZoneInfo("Europe/Rome"))


def stored_count(state: KpiState, topic: str) -> int:
    return state.topics[topic].events


def offered_and_abandoned(state: KpiState) -> tuple[int, int]:
    (total,) = call_report(state.calls, ReportQuery(date(2026, 11, 23), date(2026, 11, 24)))
    return total["offered"], total["abandoned"]


async def test_a_batch_with_duplicates_and_two_topics_is_stored_and_counted_once() -> None:
    store, state = fresh()
    batch = [*calls(3), (CSAT_RESPONSES, CSAT), *calls(2)]

    new = await record_events(batch, store, state, RECEIVED)

    assert new == 7
    assert sorted(store.events) == ["o0", "o1", "o2", "s1", "x0", "x1", "x2"]
    assert stored_count(state, CALL_EVENTS) == 6
    assert stored_count(state, CSAT_RESPONSES) == 1
    assert offered_and_abandoned(state) == (3, 3)


async def test_a_redelivered_batch_stores_counts_and_folds_nothing_new() -> None:
    store, state = fresh()
    await record_events(calls(3), store, state, RECEIVED)
    store.sent.clear()

    new = await record_events(calls(3), store, state, RECEIVED)

    assert new == 0
    assert store.sent == []  # the projection knew them all: nothing is sent to the store again
    assert stored_count(state, CALL_EVENTS) == 6
    assert offered_and_abandoned(state) == (3, 3)


async def test_events_stored_before_a_failure_are_folded_when_their_batch_comes_again() -> None:
    store, state = fresh()
    stored_then_crash = [event for _, event in calls(2)]
    await store.add_many(CALL_EVENTS, stored_then_crash, RECEIVED)

    new = await record_events(calls(2), store, state, RECEIVED)

    assert new == 0
    assert stored_count(state, CALL_EVENTS) == 4  # each stored event counted once, when folded
    assert offered_and_abandoned(state) == (2, 2)


async def test_a_rebuild_from_the_store_gives_back_the_counts_and_when_events_arrived() -> None:
    store, state = fresh()
    later = RECEIVED + timedelta(minutes=5)
    await record_events([*calls(2), (CSAT_RESPONSES, CSAT)], store, state, RECEIVED)
    await record_events(calls(3), store, state, later)  # only the third call is new

    restarted = KpiState(CallRules(), ZoneInfo("Europe/Rome"))
    await rebuild(list(CONSUMED), store, restarted)

    assert restarted.topics == state.topics
    assert restarted.call_event_types == state.call_event_types
    assert state.call_event_types == {"call.offered": 3, "call.abandoned": 3}
    assert restarted.topics[CALL_EVENTS].last_received_at == later
    assert restarted.topics[CSAT_RESPONSES].last_received_at == RECEIVED
    assert restarted.span([CALL_EVENTS, CSAT_RESPONSES]).last_event_at == AT + timedelta(seconds=30)


def test_every_event_a_consumed_topic_carries_has_a_place_in_the_projection() -> None:
    """Else its whole batch would fail in the projection instead of it alone going to the dlq."""
    placed = (
        CallEvent,
        AgentEvent,
        TicketEvent,
        ChatEvent,
        InteractionRecorded,
        CsatSubmitted,
        ContactRequested,
        ContactOutcome,
    )

    unplaced = [
        cls.__name__
        for topic in CONSUMED
        for cls in topic_spec(topic).events
        if not issubclass(cls, placed)
    ]

    assert unplaced == []

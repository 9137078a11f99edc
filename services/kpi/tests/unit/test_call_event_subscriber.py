"""kpi's subscribers in memory (FastStream's TestKafkaBroker), with an in-memory event store; the
same flow runs on the real broker in tests/integration and tests-e2e."""

from collections.abc import AsyncIterator, Iterable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from faststream.kafka import TestKafkaBroker

from cc_runtime import connect
from cc_schemas import CALL_EVENTS, CallAbandoned, Caller, CallOffered, Event
from kpi.calls import CallRules
from kpi.metrics import KpiCollector
from kpi.reports import ReportQuery, call_report
from kpi.repository import StoredEvent
from kpi.settings import Settings
from kpi.state import KpiState
from kpi.subscribers import register_subscribers


class InMemoryEventStore:
    def __init__(self) -> None:
        self.events: dict[str, Event] = {}

    async def add_many(
        self, topic: str, events: Iterable[Event], received_at: datetime
    ) -> set[str]:
        new = {e.event_id: e for e in events if e.event_id not in self.events}
        self.events.update(new)
        return set(new)

    async def replay(self, topic: str) -> AsyncIterator[StoredEvent]:
        for event in list(self.events.values()):
            yield StoredEvent(event, None)


OFFERED = CallOffered(
    event_id="ev-1",
    occurred_at=datetime(2026, 11, 23, 10, tzinfo=UTC),
    source="pbx-webhook",
    call_id="1700000000.1",
    queue="sales",
    caller=Caller(number_raw="021234567", e164="+39021234567"),
    position=1,
)
ABANDONED = CallAbandoned(
    event_id="ev-2",
    occurred_at=datetime(2026, 11, 23, 10, 1, tzinfo=UTC),
    source="pbx-webhook",
    call_id="1700000000.1",
    queue="sales",
    wait_seconds=61.0,
    position=1,
    original_position=1,
)


async def test_a_redelivered_call_event_is_stored_counted_and_folded_once() -> None:
    settings = Settings()
    infra = connect(settings)
    store = InMemoryEventStore()
    state = KpiState(CallRules(), ZoneInfo("Europe/Rome"))
    register_subscribers(infra.broker, settings, store, state, infra.dead_letters)
    infra.registry.register(KpiCollector(state, settings.service_level_target))

    async with TestKafkaBroker(infra.broker) as broker:
        for event in (ABANDONED, OFFERED, OFFERED, ABANDONED):
            await broker.publish(event, settings.topic(CALL_EVENTS), key=b"1700000000.1")

    assert sorted(store.events) == ["ev-1", "ev-2"]
    for event_type in ("call.offered", "call.abandoned"):
        labels = {"event_type": event_type}
        assert infra.registry.get_sample_value("kpi_call_events_total", labels) == 1
    (total,) = call_report(state.calls, ReportQuery(date(2026, 11, 23), date(2026, 11, 24)))
    assert (total["offered"], total["abandoned"], total["abandon_rate"]) == (1, 1, 1.0)

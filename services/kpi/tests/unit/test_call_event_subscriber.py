"""kpi's call-events subscriber in memory (FastStream's TestKafkaBroker), with a fake repository;
the same flow runs on the real broker in tests-e2e."""

from datetime import UTC, datetime

from faststream.kafka import TestKafkaBroker

from cc_runtime import connect
from cc_schemas import CALL_EVENTS, CallAbandoned, Caller, CallEvent, CallOffered
from kpi.metrics import KpiMetrics
from kpi.settings import Settings
from kpi.subscribers import register_subscribers


class InMemoryCallEvents:
    def __init__(self) -> None:
        self.events: dict[str, CallEvent] = {}

    async def add(self, event: CallEvent) -> bool:
        if event.event_id in self.events:
            return False
        self.events[event.event_id] = event
        return True


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


def counted(metrics: KpiMetrics, event_type: str) -> float:
    value = metrics.call_events.labels(event_type)._value.get()
    return float(value)


async def test_a_redelivered_call_event_is_stored_and_counted_once() -> None:
    settings = Settings()
    infra = connect(settings)
    repository, metrics = InMemoryCallEvents(), KpiMetrics(infra.registry)
    register_subscribers(infra.broker, settings, repository, metrics)

    async with TestKafkaBroker(infra.broker) as broker:
        for event in (OFFERED, OFFERED, ABANDONED):
            await broker.publish(event, settings.topic(CALL_EVENTS), key=b"1700000000.1")

    assert sorted(repository.events) == ["ev-1", "ev-2"]
    assert counted(metrics, "call.offered") == 1
    assert counted(metrics, "call.abandoned") == 1

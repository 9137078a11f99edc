"""Topic -> handler, nothing more. Reads call-events."""

from faststream.kafka import KafkaBroker

from cc_runtime import consumer_options
from cc_schemas import CALL_EVENTS, AnyCallEvent
from kpi.handlers import record_call_event
from kpi.metrics import KpiMetrics
from kpi.repository import CallEventRepository
from kpi.settings import Settings


def register_subscribers(
    broker: KafkaBroker, settings: Settings, repository: CallEventRepository, metrics: KpiMetrics
) -> None:
    @broker.subscriber(
        settings.topic(CALL_EVENTS),
        title="call-events",
        description="Every call event of the PBX, stored once and counted",
        **consumer_options(settings),
    )
    async def on_call_event(event: AnyCallEvent) -> None:
        await record_call_event(event, repository, metrics)

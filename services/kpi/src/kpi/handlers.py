"""Use cases of kpi: plain functions over the repository and metrics, no Kafka or HTTP."""

from cc_schemas import CallEvent
from kpi.metrics import KpiMetrics
from kpi.repository import CallEventRepository


async def record_call_event(
    event: CallEvent, repository: CallEventRepository, metrics: KpiMetrics
) -> bool:
    """Store a call event once, and count it when it is new."""
    stored = await repository.add(event)
    if stored:
        metrics.call_events.labels(event.event_type).inc()
    return stored

"""kpi's own Prometheus metrics, on the service's registry."""

from prometheus_client import CollectorRegistry, Counter


class KpiMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.call_events = Counter(
            "kpi_call_events_total",
            "Call events stored, by type (redeliveries are not counted again)",
            ["event_type"],
            registry=registry,
        )

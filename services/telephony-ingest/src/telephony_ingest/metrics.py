"""telephony-ingest's own Prometheus metrics, on the service's registry."""

from prometheus_client import CollectorRegistry, Counter, Histogram

PUBLISH_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class IngestMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.events = Counter(
            "telephony_ingest_events_total",
            "Events published, by source (webhook, queue_log, ami) and event type",
            ["source", "event_type"],
            registry=registry,
        )
        self.rejected = Counter(
            "telephony_ingest_rejected_total",
            "Inputs refused (HTTP 4xx) or dead-lettered, by source and reason",
            ["source", "reason"],
            registry=registry,
        )
        self.ignored = Counter(
            "telephony_ingest_ignored_total",
            "Known inputs that carry no lifecycle fact (e.g. QUEUESTART), by source and kind",
            ["source", "kind"],
            registry=registry,
        )
        self.publish_seconds = Histogram(
            "telephony_ingest_publish_seconds",
            "Per batch: from its first event handed over to the broker's acknowledgement",
            ["source"],
            buckets=PUBLISH_BUCKETS,
            registry=registry,
        )

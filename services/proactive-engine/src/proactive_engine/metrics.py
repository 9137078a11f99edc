"""proactive-engine's own Prometheus metrics, on the service's registry."""

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from proactive_engine.owned import OwnedSessions
from proactive_engine.watermark import Watermarks

LAG_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0)


class EngineMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.events = Counter(
            "proactive_engine_events_total",
            "Events processed, by topic (duplicates included)",
            ["topic"],
            registry=registry,
        )
        self.rule_hits = Counter(
            "proactive_engine_rule_hits_total",
            "Situations detected, by rule, before suppression",
            ["rule"],
            registry=registry,
        )
        self.published = Counter(
            "proactive_engine_requests_published_total",
            "Contact requests published, by rule",
            ["rule"],
            registry=registry,
        )
        self.suppressed = Counter(
            "proactive_engine_requests_suppressed_total",
            "Detected situations that did not become a request, by cause",
            ["cause"],
            registry=registry,
        )
        self.timer_lag = Histogram(
            "proactive_engine_timer_lag_seconds",
            "Wall seconds between the watermark passing a rule's deadline (live: deadline + "
            "allowed lateness) and the publication of its request",
            buckets=LAG_BUCKETS,
            registry=registry,
        )
        self.sessions_owned = Gauge(
            "proactive_engine_sessions_owned",
            "Sessions this instance holds in memory, of the partitions it owns",
            registry=registry,
        )
        self.partitions_owned = Gauge(
            "proactive_engine_partitions_owned",
            "Shop-event partitions this instance owns (fires the sessions of)",
            registry=registry,
        )
        self.shop_partitions = Gauge(
            "proactive_engine_shop_partitions",
            "Partitions of browse-events (and of cart-events): what the instances must own",
            registry=registry,
        )
        self.late_events = Counter(
            "proactive_engine_late_events_total",
            "Shop events read after the watermark had passed their event time",
            registry=registry,
        )
        self.watermark = Gauge(
            "proactive_engine_watermark_seconds",
            "The engine's event-time watermark, as a Unix time (0 until known)",
            registry=registry,
        )
        self.events_held = Gauge(
            "proactive_engine_events_held",
            "Shop events read and held until the watermark passes them (or a deadline fires)",
            registry=registry,
        )
        self.sessions_due = Gauge(
            "proactive_engine_sessions_due",
            "Owned sessions whose deadline the watermark has passed, not fired yet",
            registry=registry,
        )
        self.dead_lettered = Counter(
            "proactive_engine_dead_lettered_total",
            "Shop events sent to the dead-letter topic by the batch consumer, by topic",
            ["topic"],
            registry=registry,
        )

    def watch(self, owned: OwnedSessions, watermarks: Watermarks) -> None:
        """Read the owned sessions' size and the watermark at each scrape."""

        def watermark() -> float:
            mark = watermarks.current
            return 0.0 if mark is None else mark.timestamp()

        self.watermark.set_function(watermark)
        self.events_held.set_function(owned.held_count)
        self.sessions_due.set_function(lambda: owned.due_count(watermarks.current))
        self.sessions_owned.set_function(lambda: len(owned))
        self.partitions_owned.set_function(
            lambda: len([p for p in owned.partitions if owned.owns(p)])
        )

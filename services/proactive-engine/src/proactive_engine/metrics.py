"""proactive-engine's own Prometheus metrics, on the service's registry."""

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from proactive_engine.owned import OwnedSessions

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
            "Seconds between a rule's deadline and the publication of its request",
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
        self.dead_lettered = Counter(
            "proactive_engine_dead_lettered_total",
            "Shop events sent to the dead-letter topic by the batch consumer, by topic",
            ["topic"],
            registry=registry,
        )

    def watch(self, owned: OwnedSessions) -> None:
        """Read the owned sessions' size at each scrape."""
        self.sessions_owned.set_function(lambda: len(owned))
        self.partitions_owned.set_function(
            lambda: len([p for p in owned.partitions if owned.owns(p)])
        )

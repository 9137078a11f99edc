"""telephony-ingest's own Prometheus metrics, on the service's registry."""

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from telephony_ingest.directory import KeycloakDirectory, PeopleDirectory

# Unknown queue_log verbs are label values: the first ones seen keep their name, later ones
# are counted under "other", so a file full of junk cannot grow the series without bound.
MAX_UNKNOWN_VERBS = 50
OTHER = "other"
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
        self.duplicates = Counter(
            "telephony_ingest_duplicates_total",
            "Lines not handed on again because an earlier import handled them, by source",
            ["source"],
            registry=registry,
        )
        self.unknown_verbs = Counter(
            "telephony_ingest_unknown_verbs_total",
            "queue_log lines of a verb without a mapping, by verb "
            f"(the first {MAX_UNKNOWN_VERBS} verbs by name, then {OTHER!r})",
            ["source", "verb"],
            registry=registry,
        )
        self.unknown_verb_names: set[str] = set()
        self.publish_seconds = Histogram(
            "telephony_ingest_publish_seconds",
            "Per batch: from its first event handed over to the broker's acknowledgement",
            ["source"],
            buckets=PUBLISH_BUCKETS,
            registry=registry,
        )

    def unknown_verb(self, source: str, verb: str) -> None:
        if verb not in self.unknown_verb_names:
            if len(self.unknown_verb_names) >= MAX_UNKNOWN_VERBS:
                verb = OTHER
            else:
                self.unknown_verb_names.add(verb)
        self.unknown_verbs.labels(source, verb).inc()


class PeopleDirectoryCollector(Collector):
    """The people directory as Prometheus reads it at each scrape: how many PBX agents it names
    a person for, how many two people claim, and for Keycloak's the failed reads and the time
    of the last good one (a growing age says events are named from an old map)."""

    def __init__(self, directory: PeopleDirectory) -> None:
        self.directory = directory

    def collect(self) -> Iterator[Metric]:
        people = self.directory.people()
        yield GaugeMetricFamily(
            "telephony_ingest_people_agents",
            "PBX agents the people directory names a person for",
            value=len(people.by_agent),
        )
        yield GaugeMetricFamily(
            "telephony_ingest_people_conflicts",
            "PBX agents two or more people claim (they keep their PBX identity)",
            value=len(people.conflicts),
        )
        if isinstance(self.directory, KeycloakDirectory):
            yield CounterMetricFamily(
                "telephony_ingest_people_read_failures",
                "Reads of Keycloak's users that failed (the last known map stayed in use)",
                value=self.directory.failures,
            )
            yield GaugeMetricFamily(
                "telephony_ingest_people_read_timestamp_seconds",
                "Unix time of the last good read of Keycloak's users (0: none yet)",
                value=self.directory.read_at or 0.0,
            )

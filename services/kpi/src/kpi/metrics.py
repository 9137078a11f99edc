"""kpi's Prometheus metrics, read from the projection at each scrape: counters of the stored
events, the KPI series (today = the contact centre's local calendar day) and freshness.

The event counters are the numbers of distinct events stored, as the projection rebuilt from
the store holds them: they survive a restart and, since the store only grows, never go down.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from kpi.periods import local_today
from kpi.reports import ReportQuery, rows_from_buckets
from kpi.state import KpiState

WAITING_HORIZON = timedelta(hours=4)  # an offered call without outcome older than this is stale

OUTCOME_COUNTERS = {
    "offered": "Calls offered to the queue",
    "answered": "Calls answered by an agent",
    "abandoned": "Calls abandoned after the short-abandon threshold",
    "short_abandoned": "Calls abandoned before the short-abandon threshold",
    "exited": "Calls that left the queue unanswered (timeout, empty queue, key)",
    "answered_in_sl": "Calls answered within the service-level threshold",
}
OUTBOUND_COUNTERS = {
    "attempts": "Outbound attempts",
    "connected": "Outbound attempts the customer answered",
    "not_connected": "Outbound attempts that ended unanswered",
}
TODAY_GAUGES = {
    "service_level": ("kpi_service_level_ratio", "Share answered within the threshold, today"),
    "abandon_rate": ("kpi_abandon_rate_ratio", "Abandoned / (offered - short abandons), today"),
    "average_speed_of_answer_seconds": (
        "kpi_average_speed_of_answer_seconds",
        "Mean wait of answered calls, today",
    ),
    "longest_wait_seconds": (
        "kpi_longest_wait_seconds",
        "Longest wait in queue of any call with an outcome (answered, abandoned, exited), today",
    ),
    "longest_wait_answered_seconds": (
        "kpi_longest_wait_answered_seconds",
        "Longest wait of an answered call, today",
    ),
    "average_wait_abandoned_seconds": (
        "kpi_average_wait_abandoned_seconds",
        "Mean wait of abandoned calls (short abandons left out), today",
    ),
    "average_handling_seconds": ("kpi_average_handling_seconds", "Talk + hold + wrap-up, today"),
    "offered": ("kpi_calls_offered_today", "Calls offered today"),
}


class KpiCollector(Collector):
    """The KPI series, computed from the projection when Prometheus scrapes."""

    def __init__(
        self, state: KpiState, sl_target: float, now: Callable[[], datetime] | None = None
    ) -> None:
        self.state = state
        self.sl_target = sl_target
        self.now = now or (lambda: datetime.now(UTC))

    def collect(self) -> Iterator[Metric]:
        yield from self._stored()
        yield from self._totals()
        yield from self._today()
        yield from self._live()

    def _stored(self) -> Iterator[Metric]:
        events = CounterMetricFamily(
            "kpi_events", "Events stored, by topic (redeliveries are not counted)", labels=["topic"]
        )
        for topic, log in sorted(self.state.topics.items()):
            events.add_metric([topic], log.events)
        yield events
        call_events = CounterMetricFamily(
            "kpi_call_events",
            "Call events stored, by type (redeliveries are not counted)",
            labels=["event_type"],
        )
        for event_type, count in sorted(self.state.call_event_types.items()):
            call_events.add_metric([event_type], count)
        yield call_events

    def _totals(self) -> Iterator[Metric]:
        for name, doc in OUTCOME_COUNTERS.items():
            family = CounterMetricFamily(f"kpi_calls_{name}", doc, labels=["queue"])
            for queue, measures in sorted(self.state.calls.totals.items()):
                family.add_metric([queue], getattr(measures, name))
            yield family
        outbound = sorted(self.state.outbound.totals.items())
        for name, doc in OUTBOUND_COUNTERS.items():
            family = CounterMetricFamily(f"kpi_outbound_{name}", doc, labels=["queue"])
            for queue, totals in outbound:
                family.add_metric([queue], getattr(totals, name))
            yield family
        talk = CounterMetricFamily(
            "kpi_outbound_talk_seconds", "Talk time of connected outbound calls", labels=["queue"]
        )
        for queue, totals in outbound:
            talk.add_metric([queue], totals.talk_ms / 1000)
        yield talk

    def _today(self) -> Iterator[Metric]:
        today = local_today(self.now(), self.state.zone)
        query = ReportQuery(today, today + timedelta(days=1), ("queue",))
        rows = rows_from_buckets(self.state.calls.buckets_of_day(today), query)
        for field, (name, doc) in TODAY_GAUGES.items():
            family = GaugeMetricFamily(name, doc, labels=["queue"])
            for row in rows:
                if row[field] is not None:
                    family.add_metric([row["queue"]], row[field])
            yield family
        yield GaugeMetricFamily(
            "kpi_service_level_target_ratio", "Service-level target", value=self.sl_target
        )

    def _live(self) -> Iterator[Metric]:
        now = self.now()
        waiting = GaugeMetricFamily("kpi_calls_waiting", "Calls in queue now", labels=["queue"])
        for queue, count in sorted(self.state.calls.waiting(now - WAITING_HORIZON).items()):
            waiting.add_metric([queue], count)
        yield waiting
        backlog = GaugeMetricFamily(
            "kpi_tickets_backlog", "Tickets opened and not closed", labels=["channel"]
        )
        for channel, count in sorted(self.state.omni.open_tickets_by_channel().items()):
            backlog.add_metric([channel], count)
        yield backlog
        csat = GaugeMetricFamily(
            "kpi_csat_ratio", "Satisfied answers share, today", labels=["channel"]
        )
        today = local_today(now, self.state.zone)
        for channel, value in sorted(self.state.omni.csat_of_day(today).items()):
            csat.add_metric([channel], value)
        yield csat
        yield from self._freshness()

    def _freshness(self) -> Iterator[Metric]:
        last = GaugeMetricFamily(
            "kpi_last_event_timestamp_seconds", "Event time of the newest event", labels=["topic"]
        )
        received = GaugeMetricFamily(
            "kpi_last_event_received_timestamp_seconds",
            "When kpi last received (and stored) a new event, wall clock",
            labels=["topic"],
        )
        for topic, log in sorted(self.state.topics.items()):
            if log.last_event_at is not None:
                last.add_metric([topic], log.last_event_at.timestamp())
            if log.last_received_at is not None:
                received.add_metric([topic], log.last_received_at.timestamp())
        yield last
        yield received

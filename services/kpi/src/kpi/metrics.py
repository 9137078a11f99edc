"""kpi's Prometheus metrics, read from the store at each scrape: counters of the stored events,
the KPI series (today = the contact centre's local calendar day) and freshness.

The event counters are the numbers of distinct events stored, counted in the transaction that
stores them: they survive a restart and, since the store only grows, never go down.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from cc_schemas import CALL_EVENTS
from kpi.calls import Measures
from kpi.outbound import OutboundMeasures
from kpi.periods import local_today
from kpi.queries import CSAT, Reports
from kpi.reports import ReportQuery
from kpi.repository import EventCount
from kpi.sla import SlaCounts

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


@dataclass(frozen=True)
class Snapshot:
    """What the series say, read from the store before a scrape is answered."""

    counts: list[EventCount] = field(default_factory=list)
    call_totals: dict[str, Measures] = field(default_factory=dict)
    outbound_totals: dict[str, OutboundMeasures] = field(default_factory=dict)
    today: list[dict[str, Any]] = field(default_factory=list)  # call report rows per queue
    waiting: dict[str, int] = field(default_factory=dict)
    backlog: dict[str, int] = field(default_factory=dict)
    csat_today: dict[str, float] = field(default_factory=dict)
    sla_totals: dict[tuple[str, str], SlaCounts] = field(default_factory=dict)  # target, team
    sla_today: list[dict[str, Any]] = field(default_factory=list)  # SLA report rows per target


class KpiCollector(Collector):
    """The KPI series, from the snapshot `refresh` read from the store (the runtime's /metrics
    renders collectors synchronously, so the reading happens before, in its on_scrape hook:
    see `app.py`)."""

    def __init__(
        self, reports: Reports, sl_target: float, now: Callable[[], datetime] | None = None
    ) -> None:
        self.reports = reports
        self.sl_target = sl_target
        self.now = now or (lambda: datetime.now(UTC))
        self.snapshot = Snapshot()

    async def refresh(self) -> None:
        store, now = self.reports.store, self.now()
        today = local_today(now, self.reports.zone)
        tomorrow = today + timedelta(days=1)
        answers = await self.reports.projection(CSAT, today, tomorrow)
        self.snapshot = Snapshot(
            counts=await store.counts(),
            call_totals=await store.call_totals(),
            outbound_totals=await store.outbound_totals(),
            today=await self.reports.calls(ReportQuery(today, tomorrow, ("queue",))),
            waiting=await store.waiting(now - WAITING_HORIZON),
            backlog=await store.open_tickets(),
            csat_today=answers.csat_of_day(today),
            sla_totals=await store.sla_totals(),
            sla_today=await self.reports.sla(ReportQuery(today, tomorrow, ("target",))),
        )

    def collect(self) -> Iterator[Metric]:
        yield from self._stored()
        yield from self._totals()
        yield from self._today()
        yield from self._live()

    def _stored(self) -> Iterator[Metric]:
        events = CounterMetricFamily(
            "kpi_events", "Events stored, by topic (redeliveries are not counted)", labels=["topic"]
        )
        per_topic: dict[str, int] = defaultdict(int)
        for count in self.snapshot.counts:
            per_topic[count.topic] += count.events
        for topic, n in sorted(per_topic.items()):
            events.add_metric([topic], n)
        yield events
        call_events = CounterMetricFamily(
            "kpi_call_events",
            "Call events stored, by type (redeliveries are not counted)",
            labels=["event_type"],
        )
        for count in self.snapshot.counts:
            if count.topic == CALL_EVENTS:
                call_events.add_metric([count.event_type], count.events)
        yield call_events

    def _totals(self) -> Iterator[Metric]:
        for name, doc in OUTCOME_COUNTERS.items():
            family = CounterMetricFamily(f"kpi_calls_{name}", doc, labels=["queue"])
            for queue, measures in sorted(self.snapshot.call_totals.items()):
                family.add_metric([queue], getattr(measures, name))
            yield family
        outbound = sorted(self.snapshot.outbound_totals.items())
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
        yield from self._sla()

    def _sla(self) -> Iterator[Metric]:
        warnings = CounterMetricFamily(
            "kpi_sla_warnings",
            "Claims' SLA warnings: a deadline near with its target not met",
            labels=["target", "team"],
        )
        breaches = CounterMetricFamily(
            "kpi_sla_breaches",
            "Claims' SLA breaches: a deadline passed with its target not met",
            labels=["target", "team"],
        )
        for (target, team), counts in sorted(self.snapshot.sla_totals.items()):
            warnings.add_metric([target, team], counts.warnings)
            breaches.add_metric([target, team], counts.breaches)
        yield warnings
        yield breaches
        today = GaugeMetricFamily(
            "kpi_sla_breaches_today", "Claims' SLA breaches published today", labels=["target"]
        )
        for row in self.snapshot.sla_today:
            today.add_metric([row["target"]], row["breaches"])
        yield today

    def _today(self) -> Iterator[Metric]:
        for field_name, (name, doc) in TODAY_GAUGES.items():
            family = GaugeMetricFamily(name, doc, labels=["queue"])
            for row in self.snapshot.today:
                if row[field_name] is not None:
                    family.add_metric([row["queue"]], row[field_name])
            yield family
        yield GaugeMetricFamily(
            "kpi_service_level_target_ratio", "Service-level target", value=self.sl_target
        )

    def _live(self) -> Iterator[Metric]:
        waiting = GaugeMetricFamily("kpi_calls_waiting", "Calls in queue now", labels=["queue"])
        for queue, count in sorted(self.snapshot.waiting.items()):
            waiting.add_metric([queue], count)
        yield waiting
        backlog = GaugeMetricFamily(
            "kpi_tickets_backlog", "Tickets opened and not closed", labels=["channel"]
        )
        for channel, count in sorted(self.snapshot.backlog.items()):
            backlog.add_metric([channel], count)
        yield backlog
        csat = GaugeMetricFamily(
            "kpi_csat_ratio", "Satisfied answers share, today", labels=["channel"]
        )
        for channel, value in sorted(self.snapshot.csat_today.items()):
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
        newest: dict[str, tuple[datetime, datetime]] = {}
        for c in self.snapshot.counts:
            at, got = newest.get(c.topic, (c.last_event_at, c.last_received_at))
            newest[c.topic] = (max(at, c.last_event_at), max(got, c.last_received_at))
        for topic, (at, got) in sorted(newest.items()):
            last.add_metric([topic], at.timestamp())
            received.add_metric([topic], got.timestamp())
        yield last
        yield received

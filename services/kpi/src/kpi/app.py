"""Composition root of kpi: settings -> infrastructure -> store, subscribers, metrics and HTTP
routes. Nothing is replayed at start-up: the KPIs are kept in PostgreSQL."""

import logging

from fastapi import FastAPI

from cc_runtime import ServiceSpec, connect, create_http_app
from kpi.access import ACCESS
from kpi.api import kpi_router
from kpi.metrics import KpiCollector
from kpi.queries import Reports
from kpi.repository import PostgresKpiStore
from kpi.settings import Settings
from kpi.subscribers import CONSUMED, register_subscribers

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    # FastStream logs two lines per message on the broker's logger ("kpi"): at thousands of
    # events a second that is most of the CPU. Keep warnings, and kpi's own modules at INFO.
    logging.getLogger(settings.service_name).setLevel(logging.WARNING)
    logging.getLogger("kpi.app").setLevel(logging.INFO)
    infra = connect(settings)
    store = PostgresKpiStore(infra.postgres)
    reports = Reports(store, settings.zone, settings.fcr_days)
    register_subscribers(infra.broker, settings, store, infra.dead_letters)
    collector = KpiCollector(reports, settings.service_level_target)
    infra.registry.register(collector)

    async def read_metrics() -> None:
        """The series are read from the store before /metrics renders them; while the store
        is away, the last values read are served."""
        try:
            await collector.refresh()
        except Exception:
            log.warning("kpi metrics: the store did not answer", exc_info=True)

    spec = ServiceSpec(
        title="KPI",
        description="The contact centre's service KPIs, for Prometheus, Grafana and reports.",
        consumes=list(CONSUMED),
        routers=[kpi_router(reports)],
        migrations="kpi",
        on_scrape=[read_metrics],
        access=ACCESS,
    )
    return create_http_app(infra, spec)

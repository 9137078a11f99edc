"""Composition root of kpi: settings -> infrastructure -> event store, projection, subscribers,
metrics and HTTP routes. At start-up the projection is rebuilt from the stored events."""

import logging

from fastapi import FastAPI

from cc_runtime import ServiceSpec, connect, create_http_app
from kpi.api import kpi_router
from kpi.handlers import rebuild
from kpi.metrics import KpiCollector
from kpi.repository import MongoEventStore
from kpi.settings import Settings
from kpi.state import KpiState
from kpi.subscribers import CONSUMED, register_subscribers


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    # FastStream logs two lines per message on the broker's logger ("kpi"): at thousands of
    # events a second that is most of the CPU. Keep warnings, and kpi's own modules at INFO.
    logging.getLogger(settings.service_name).setLevel(logging.WARNING)
    for module in ("handlers", "app"):
        logging.getLogger(f"kpi.{module}").setLevel(logging.INFO)
    infra = connect(settings)
    state = KpiState(settings.call_rules, settings.zone, settings.fcr_days)
    store = MongoEventStore(infra.db)
    register_subscribers(infra.broker, settings, store, state, infra.dead_letters)
    infra.registry.register(KpiCollector(state, settings.service_level_target))

    async def rebuild_projection() -> None:
        await rebuild(list(CONSUMED), store, state)

    spec = ServiceSpec(
        title="KPI",
        description="The contact centre's service KPIs, for Prometheus, Grafana and reports.",
        consumes=list(CONSUMED),
        routers=[kpi_router(state)],
        on_startup=[rebuild_projection],
    )
    return create_http_app(infra, spec)

"""Composition root of kpi: settings -> infrastructure -> repository, subscribers, HTTP app."""

from fastapi import FastAPI

from cc_runtime import ServiceSpec, connect, create_http_app
from cc_schemas import CALL_EVENTS
from kpi.metrics import KpiMetrics
from kpi.repository import MongoCallEventRepository
from kpi.settings import Settings
from kpi.subscribers import register_subscribers


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    infra = connect(settings)
    register_subscribers(
        infra.broker, settings, MongoCallEventRepository(infra.db), KpiMetrics(infra.registry)
    )
    spec = ServiceSpec(
        title="KPI",
        description="The contact centre's service KPIs, for Prometheus, Grafana and reports.",
        consumes=[CALL_EVENTS],
    )
    return create_http_app(infra, spec)

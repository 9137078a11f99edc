"""Every service starts as its own process on the real servers and shows operators the same face:
readiness, Prometheus metrics, OpenAPI docs and its AsyncAPI document."""

import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from cc_testing import (
    RunningService,
    Servers,
    free_ports,
    service_environment,
    service_process,
)

pytestmark = pytest.mark.infra

SERVICES = ["telephony-ingest", "crm", "claims", "proactive-engine", "kpi", "chat", "knowledge"]
# The services that keep state, in PostgreSQL: every one.
STATEFUL = {"chat", "claims", "crm", "knowledge", "kpi", "proactive-engine", "telephony-ingest"}


@pytest.fixture(scope="module")
def running_services(
    servers: Servers, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, RunningService]]:
    # One namespace for the module: the services share it, as in production.
    env = service_environment(servers, "all_services_" + uuid.uuid4().hex[:8])
    log_dir: Path = tmp_path_factory.mktemp("logs")
    with ExitStack() as stack:
        yield {
            name: stack.enter_context(service_process(name, port, env, log_dir))
            for name, port in zip(SERVICES, free_ports(len(SERVICES)), strict=True)
        }


@pytest.mark.parametrize("name", SERVICES)
def test_the_service_is_ready_with_kafka_and_its_database_reachable(
    running_services: dict[str, RunningService], name: str
) -> None:
    response = httpx.get(f"{running_services[name].url}/readyz")

    assert response.status_code == 200
    expected = {"kafka": True, "postgresql": True} if name in STATEFUL else {"kafka": True}
    assert response.json()["checks"] == expected


@pytest.mark.parametrize("name", SERVICES)
def test_the_service_serves_prometheus_metrics_and_its_api_documents(
    running_services: dict[str, RunningService], name: str
) -> None:
    url = running_services[name].url

    metrics = httpx.get(f"{url}/metrics")
    openapi = httpx.get(f"{url}/openapi.json")
    asyncapi = httpx.get(f"{url}/asyncapi.json")

    assert metrics.headers["content-type"].startswith("text/plain")
    assert "http_requests_total" in metrics.text
    assert {"/healthz", "/readyz", "/metrics"} <= set(openapi.json()["paths"])
    assert asyncapi.json()["asyncapi"].startswith("3.")

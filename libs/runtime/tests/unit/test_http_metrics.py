from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry

from cc_runtime.http_metrics import instrument_http


def test_requests_are_counted_by_route_template_method_and_status() -> None:
    app = FastAPI()
    registry = CollectorRegistry()
    instrument_http(app, registry)

    @app.get("/tickets/{ticket_id}")
    async def ticket(ticket_id: int) -> dict[str, int]:
        return {"ticket_id": ticket_id}

    client = TestClient(app)
    client.get("/tickets/1")
    client.get("/tickets/2")
    client.get("/tickets/not-a-number")
    client.get("/nowhere")

    def count(route: str, status: str) -> float | None:
        labels = {"method": "GET", "route": route, "status": status}
        return registry.get_sample_value("http_requests_total", labels)

    assert count("/tickets/{ticket_id}", "200") == 2
    assert count("/tickets/{ticket_id}", "422") == 1
    assert count("unmatched", "404") == 1


def test_routes_of_an_included_router_are_counted_by_their_full_template() -> None:
    app = FastAPI()
    registry = CollectorRegistry()
    instrument_http(app, registry)
    router = APIRouter(prefix="/v1")

    @router.get("/reports/{name}")
    async def report(name: str) -> dict[str, str]:
        return {"name": name}

    app.include_router(router)

    TestClient(app).get("/v1/reports/calls")

    labels = {"method": "GET", "route": "/v1/reports/{name}", "status": "200"}
    assert registry.get_sample_value("http_requests_total", labels) == 1

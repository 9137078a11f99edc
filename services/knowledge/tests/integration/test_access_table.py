"""Every route of knowledge answers as its access table says (the route walk, on the real
servers)."""

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from cc_runtime.access import AccessTable, operations_access
from cc_testing import TestIssuer, walk_routes
from knowledge.access import ACCESS
from knowledge.app import create_app
from knowledge.settings import Settings

ISSUER = TestIssuer()


@pytest.fixture
def client(service_env: dict[str, str]) -> Iterator[TestClient]:
    settings = Settings(**service_env, **ISSUER.env())  # type: ignore[arg-type]
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


def test_every_route_answers_as_the_access_table_says(client: TestClient) -> None:
    table = operations_access("loopback") | AccessTable(ACCESS)

    calls = walk_routes(client, table, ISSUER, {})

    assert {str(c.key) for c in calls} >= {
        "GET /healthz",
        "GET /readyz",
        "GET /metrics",
        "GET /v1/topics",
        "POST /v1/mining-runs",
    }

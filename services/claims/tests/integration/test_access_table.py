"""Every route of claims answers as its access table says (the route walk, on the real servers)."""

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from cc_runtime.access import AccessTable, operations_access
from cc_testing import TestIssuer, walk_routes
from claims.access import ACCESS
from claims.app import create_app
from claims.settings import Settings

ISSUER = TestIssuer()


@pytest.fixture
def client(service_env: dict[str, str]) -> Iterator[TestClient]:
    settings = Settings(**service_env, **ISSUER.env())
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


def test_every_route_answers_as_the_access_table_says(client: TestClient) -> None:
    table = operations_access("loopback") | AccessTable(ACCESS)

    calls = walk_routes(client, table, ISSUER)

    assert {str(c.key) for c in calls} >= {"GET /healthz", "GET /readyz", "GET /metrics"}

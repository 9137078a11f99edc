"""Every route of the proactive engine answers as its access table says (the route walk, on the
real servers): it has only the runtime's operations routes, /metrics open on 127.0.0.1 alone."""

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from cc_runtime.access import AccessTable, operations_access
from cc_testing import TestIssuer, walk_routes
from proactive_engine.access import ACCESS
from proactive_engine.app import create_app
from proactive_engine.settings import Settings

pytestmark = pytest.mark.infra

ISSUER = TestIssuer()


@pytest.fixture
def client(service_env: dict[str, str]) -> Iterator[TestClient]:
    settings = Settings(**service_env, **ISSUER.env())  # type: ignore[arg-type]
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


def test_every_route_answers_as_the_access_table_says(client: TestClient) -> None:
    table = operations_access("loopback") | AccessTable(ACCESS)

    calls = walk_routes(client, table, ISSUER)

    answers = {(str(c.key), c.credentials, c.status) for c in calls}
    assert {key for key, _, _ in answers} == {
        "GET /healthz",
        "GET /readyz",
        "GET /metrics",
        "GET /openapi.json",
        "GET /docs",
        "GET /docs/oauth2-redirect",
        "GET /redoc",
        "GET /asyncapi",
        "GET /asyncapi.json",
    }
    assert ("GET /readyz", "none", 200) in answers
    assert ("GET /metrics", "none", 401) in answers  # the test client is not 127.0.0.1
    assert ("GET /metrics", "role metrics", 200) in answers
    assert ("GET /metrics", "role supervisor", 403) in answers

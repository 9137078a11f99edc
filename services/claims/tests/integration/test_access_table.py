"""Every route of claims answers as its access table says (the route walk, on the real servers)."""

from collections.abc import Iterator
from datetime import timedelta

import pytest
from starlette.testclient import TestClient

from cc_runtime.access import AccessTable, Kind, operations_access
from cc_testing import TestIssuer, walk_routes
from claims.access import ACCESS
from claims.app import create_app
from claims.customer.links import LinkSigner
from claims.settings import Settings

ISSUER = TestIssuer()


@pytest.fixture
def client(service_env: dict[str, str]) -> Iterator[TestClient]:
    settings = Settings(**service_env, **ISSUER.env())
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


def test_every_route_answers_as_the_access_table_says(client: TestClient) -> None:
    table = operations_access("loopback") | AccessTable(ACCESS)

    settings = Settings()
    links = LinkSigner(settings.customer_link_secret.get_secret_value(), timedelta(days=1))
    signed = {Kind.SIGNED_LINK: lambda key, path: {"params": {"token": links.sign("T-1")[0]}}}

    calls = walk_routes(client, table, ISSUER, signed)

    assert {str(c.key) for c in calls} >= {"GET /healthz", "GET /readyz", "GET /metrics"}
    assert {(str(c.key), c.status) for c in calls if c.credentials == "signed-link"} == {
        ("GET /claim", 404),  # a link of ours, to a ticket that does not exist
        ("POST /claim/messages", 422),  # an empty message
        ("POST /claim/photos", 422),  # no file
    }

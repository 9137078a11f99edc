"""Every route of kpi answers as its access table says (the route walk, on the real servers):
the reports and the live queue only to supervisors."""

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from cc_runtime.access import AccessTable, operations_access
from cc_testing import TestIssuer, walk_routes
from kpi.access import ACCESS
from kpi.app import create_app
from kpi.settings import Settings

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
    for route in ("GET /v1/reports/calls", "GET /v1/reports/contacts", "GET /v1/queues/now"):
        assert (route, "none", 401) in answers
        assert (route, "role operator", 403) in answers
        assert (route, "role admin", 403) in answers
        assert (route, "role supervisor", 200) in answers


def test_a_supervisor_reads_a_report_and_an_operator_is_told_which_role_it_needs(
    client: TestClient,
) -> None:
    params = {"from": "2026-11-23", "to": "2026-11-24"}

    report = client.get("/v1/reports/calls", params=params, headers=ISSUER.bearer(["supervisor"]))
    refused = client.get("/v1/reports/calls", params=params, headers=ISSUER.bearer(["operator"]))

    assert report.status_code == 200, report.text
    assert [row["offered"] for row in report.json()] == [0]
    assert (refused.status_code, refused.json()) == (
        403,
        {
            "reason": "insufficient_role",
            "detail": "GET /v1/reports/calls needs one of the roles ['supervisor']; "
            "the token grants ['operator']",
        },
    )

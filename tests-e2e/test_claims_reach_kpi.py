"""Claims worked in the claims tool reach kpi's claims reports, each service its own process
on the real broker and database: one claim passed contact centre -> marketing -> contact
centre and closed resolved as no fault found, one closed unresolved. Both trust the test key."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from cc_testing import RunningService, TestIssuer, eventually, free_ports, service_process

pytestmark = pytest.mark.infra

ISSUER = TestIssuer()
TODAY = datetime.now(UTC).date()
PERIOD = {"from": str(TODAY - timedelta(days=1)), "to": str(TODAY + timedelta(days=2))}
CLAIM = {"customer_id": "C-1", "channel": "phone", "subject": "Engine does not start"}


def anna() -> dict[str, str]:
    return ISSUER.bearer(["operator"], subject="anna")


def marco() -> dict[str, str]:
    return ISSUER.bearer(["back-office"], subject="marco", team="marketing")


@pytest.fixture
def platform(
    service_env: dict[str, str], tmp_path: Path
) -> Iterator[tuple[RunningService, RunningService]]:
    claims_port, kpi_port = free_ports(2)
    env = {**service_env, **ISSUER.env()}
    with (
        service_process("kpi", kpi_port, env, tmp_path) as kpi,
        service_process("claims", claims_port, env, tmp_path) as claims,
    ):
        yield claims, kpi


def command(
    claims: RunningService, ticket: dict[str, Any], action: str, who: dict[str, str], **body: Any
) -> dict[str, Any]:
    response = httpx.post(
        f"{claims.url}/v1/tickets/{ticket['ticket_id']}/{action}",
        json=body,
        headers=who | {"If-Match": f'"{ticket["version"]}"'},
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def report(kpi: RunningService, name: str, group_by: str) -> list[dict[str, Any]]:
    response = httpx.get(
        f"{kpi.url}/v1/reports/{name}",
        params={**PERIOD, "group_by": group_by},
        headers=ISSUER.bearer(["supervisor"]),
    )
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()
    return rows


def test_claims_worked_in_the_tool_are_in_kpis_claims_reports(
    platform: tuple[RunningService, RunningService],
) -> None:
    claims, kpi = platform
    first = {"assignee": {"person": "anna", "team": "contact_centre"}}
    nff = httpx.post(
        f"{claims.url}/v1/tickets",
        json=CLAIM | first | {"cluster": "warranty_replacement"},
        headers=anna(),
    ).json()
    nff = command(claims, nff, "assign", anna(), person="marco", team="marketing")
    nff = command(claims, nff, "assign", marco(), person="anna", team="contact_centre")
    nff = command(claims, nff, "resolve", anna(), outcome="no_fault_found", reason="tab left in")
    command(claims, nff, "close", anna(), resolution="resolved")
    refused = httpx.post(
        f"{claims.url}/v1/tickets", json=CLAIM | first | {"cluster": "return"}, headers=anna()
    ).json()
    command(claims, refused, "close", anna(), resolution="unresolved", reason="used toy")

    def counted() -> list[dict[str, Any]]:
        rows = report(kpi, "tickets", "cluster")
        assert [
            (r["cluster"], r["opened"], r["closed_resolved"], r["closed_unresolved"]) for r in rows
        ] == [("return", 1, 0, 1), ("warranty_replacement", 1, 1, 0)]
        return rows

    rows = eventually(counted)
    assert [r["no_fault_found"] for r in rows] == [0, 1]
    holders = sorted(r["assignee"] for r in report(kpi, "assignees", "assignee"))
    assert holders == ["anna", "marco"]

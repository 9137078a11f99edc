"""What the claims tool publishes besides opening, hand-overs and closing reaches kpi's reports,
each service its own process on the real broker and database: a claim closed resolved, reopened
and closed again unresolved counts once, by its last close; a claim merged into it is merged,
neither resolved nor unresolved; a delivery claim nobody answers is warned and then breaches its
first-response deadline (budgets of seconds on a calendar that never closes), and kpi's SLA
report, its backlog and its Prometheus counter show it. Both trust the test key."""

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
CLAIM = {"customer_id": "C-1", "channel": "email", "subject": "The parcel never came"}
ALWAYS_OPEN = '{"mon": "00:00-24:00", "tue": "00:00-24:00", "wed": "00:00-24:00", ' + (
    '"thu": "00:00-24:00", "fri": "00:00-24:00", "sat": "00:00-24:00", "sun": "00:00-24:00"}'
)
SECOND = 1 / 3600  # SLA budgets are in hours
# Delivery claims must be answered within 3 seconds (warned 2 seconds before); every other
# deadline is an hour away, beyond the test.
POLICIES = f"""
[default]
first_response_hours = 1
next_update_hours = 1
solution_hours = 1
warn_before_hours = {2 * SECOND}

[[policy]]
cluster = "delivery"
first_response_hours = {3 * SECOND}
"""


def anna() -> dict[str, str]:
    return ISSUER.bearer(["operator"], subject="anna")


def marta() -> dict[str, str]:
    return ISSUER.bearer(["supervisor"], subject="marta")


@pytest.fixture
def platform(
    service_env: dict[str, str], tmp_path: Path
) -> Iterator[tuple[RunningService, RunningService]]:
    policies = tmp_path / "sla.toml"
    policies.write_text(POLICIES, encoding="utf-8")
    claims_env = {
        "CLAIMS_SLA_FILE": str(policies),
        "CLAIMS_OPENING_HOURS": ALWAYS_OPEN,
        "CLAIMS_HOLIDAYS_COUNTRY": "",
        "CLAIMS_ZONE": "UTC",
        "CLAIMS_SLA_CHECK_SECONDS": "0.2",
    }
    claims_port, kpi_port = free_ports(2)
    env = {**service_env, **ISSUER.env()}
    with (
        service_process("kpi", kpi_port, env, tmp_path) as kpi,
        service_process("claims", claims_port, env | claims_env, tmp_path) as claims,
    ):
        yield claims, kpi


def opened(claims: RunningService, cluster: str, **fields: Any) -> dict[str, Any]:
    response = httpx.post(
        f"{claims.url}/v1/tickets", json=CLAIM | {"cluster": cluster} | fields, headers=anna()
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


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
        headers=marta(),
    )
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()
    return rows


def test_reopened_merged_and_breached_claims_are_in_kpis_reports(
    platform: tuple[RunningService, RunningService],
) -> None:
    claims, kpi = platform
    first = {"assignee": {"person": "anna", "team": "contact_centre"}}
    reopened = opened(claims, "warranty_replacement", **first)
    reopened = command(claims, reopened, "resolve", anna(), outcome="refund", reason="broken")
    reopened = command(claims, reopened, "close", anna(), resolution="resolved")
    reopened = command(claims, reopened, "reopen", anna(), reason="the refund never came")
    command(claims, reopened, "close", anna(), resolution="unresolved", reason="no stock")
    duplicate = opened(claims, "return", **first)
    command(claims, duplicate, "merge", marta(), into=reopened["ticket_id"], reason="same toy")
    opened(claims, "delivery")  # nobody answers it

    def counted() -> None:
        rows = report(kpi, "tickets", "cluster")
        fields = ("cluster", "opened", "open", "closed_resolved", "closed_unresolved", "merged")
        assert [tuple(r[f] for f in fields) for r in rows] == [
            ("delivery", 1, 1, 0, 0, 0),
            ("return", 1, 0, 0, 0, 1),  # merged: neither resolved nor unresolved
            ("warranty_replacement", 1, 0, 0, 1, 0),  # by its last close, once
        ]

    def breached() -> None:
        rows = report(kpi, "sla", "target,cluster,team")
        assert [
            (r["target"], r["cluster"], r["team"], r["warnings"], r["breaches"]) for r in rows
        ] == [
            ("first_response", "delivery", "", 1, 1)  # nobody held it
        ]

    eventually(counted)
    eventually(breached)
    tickets = report(kpi, "tickets", "")
    assert [(t["closed"], t["resolution_rate"]) for t in tickets] == [(1, 0.0)]
    backlog = report(kpi, "backlog", "day")
    assert backlog
    assert {row["backlog"] for row in backlog} == {1}  # the delivery claim alone
    metrics = httpx.get(f"{kpi.url}/metrics").text.splitlines()
    assert 'kpi_sla_breaches_total{target="first_response",team=""} 1.0' in metrics

"""Outbound calls end to end, each service its own process on the real broker and database: a
queue_log of a call-back setup uploaded to telephony-ingest by an administrator (OUTDIAL,
OUTANSWER, OUTTRANSFER, OUTCHANUNAVAIL, the agent named by two interfaces) reaches kpi's
outbound report and the agent's busy time. Both services trust the test issuer's key."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from cc_testing import RunningService, TestIssuer, eventually, free_ports, service_process

pytestmark = pytest.mark.infra

# 2024-03-14, 13:40 in Rome: one attempt answered and transferred after 178 s of talk, one
# that could not reach the customer; the agent is Local/1127@callback-agent and Agent/1127.
QUEUE_LOG = """\
1710420000|MANAGER|callback|Local/1127@callback-agent|ADDMEMBER|
1710420001|NONE|NONE|Agent/1127|AGENTCALLBACKLOGIN|1127@agents
1710420010|1710420010.1|callback|Agent/1127|OUTDIAL|0212345678|spring
1710420022|1710420010.1|callback|Agent/1127|OUTANSWER|0212345678|12
1710420200|1710420010.1|callback|Agent/1127|OUTTRANSFER|0212345678|2001|178
1710420300|1710420300.2|callback|Local/1127@callback-agent|OUTDIAL|0298765432|spring
1710420330|1710420300.2|callback|Local/1127@callback-agent|OUTCHANUNAVAIL|0298765432|30
"""
DAY = {"from": "2024-03-14", "to": "2024-03-15"}
ISSUER = TestIssuer()


@pytest.fixture
def platform(
    service_env: dict[str, str], tmp_path: Path
) -> Iterator[tuple[RunningService, RunningService]]:
    ingest_port, kpi_port = free_ports(2)
    env = {**service_env, **ISSUER.env()}
    with (
        service_process("kpi", kpi_port, env, tmp_path) as kpi,
        service_process("telephony-ingest", ingest_port, env, tmp_path) as ingest,
    ):
        yield ingest, kpi


def report(kpi: RunningService, name: str, group_by: str) -> list[dict[str, Any]]:
    response = httpx.get(
        f"{kpi.url}/v1/reports/{name}",
        params={**DAY, "group_by": group_by},
        headers=ISSUER.bearer(["supervisor"]),
    )
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()
    return rows


def test_outbound_calls_imported_from_queue_log_are_in_the_outbound_report_and_busy_time(
    platform: tuple[RunningService, RunningService],
) -> None:
    ingest, kpi = platform

    response = httpx.post(
        f"{ingest.url}/v1/queue-log/imports",
        files={"file": ("queue_log", QUEUE_LOG)},
        headers=ISSUER.bearer(["admin"]),
    )

    assert response.status_code == 200, response.text

    def outbound_counted() -> dict[str, Any]:
        rows = report(kpi, "outbound", "queue,agent")
        assert [(r["queue"], r["agent"], r["attempts"]) for r in rows] == [("callback", "1127", 2)]
        return rows[0]

    row = eventually(outbound_counted)
    assert (row["connected"], row["not_connected"], row["transferred"], row["unavailable"]) == (
        1,
        1,
        1,
        1,
    )
    assert (row["talk_ms"], row["connect_rate"]) == (178_000, 0.5)
    (agent,) = report(kpi, "agents", "agent")
    assert (agent["agent"], agent["busy_ms"], agent["outbound_talk_ms"]) == (
        "1127",
        178_000,
        178_000,
    )
    assert report(kpi, "calls", "")[0]["offered"] == 0  # outbound calls are not queue calls

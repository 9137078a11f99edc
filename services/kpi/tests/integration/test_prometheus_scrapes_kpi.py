"""The real Prometheus server scrapes a running kpi and answers queries on its KPI series; the
KPI alert rules load in it."""

import asyncio
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from cc_schemas import CallAbandoned, CallAnswered, Caller, CallEvent, CallOffered, encode
from cc_testing import RunningService, Servers, eventually, free_ports, produce, service_process

pytestmark = pytest.mark.infra

RULES = Path(__file__).resolve().parents[4] / "deploy" / "prometheus" / "rules" / "kpi.yml"


def todays_calls() -> list[CallEvent]:
    now = datetime.now(UTC) - timedelta(minutes=1)
    common: dict[str, Any] = {"source": "test", "queue": "sales"}
    events: list[CallEvent] = []
    for n, wait in enumerate((5.0, 15.0, 40.0)):
        call = {"call_id": f"c{n}", **common}
        events.append(
            CallOffered(event_id=f"o{n}", occurred_at=now, caller=Caller(number_raw="1"), **call)
        )
        events.append(
            CallAnswered(event_id=f"a{n}", occurred_at=now, agent="A", wait_seconds=wait, **call)
        )
    events.append(
        CallOffered(
            event_id="o9", occurred_at=now, caller=Caller(number_raw="1"), call_id="c9", **common
        )
    )
    events.append(
        CallAbandoned(
            event_id="x9", occurred_at=now, call_id="c9", wait_seconds=30, position=1, **common
        )
    )
    return events


@pytest.fixture
def kpi(service_env: dict[str, str], tmp_path: Path) -> Iterator[RunningService]:
    (port,) = free_ports(1)
    with service_process("kpi", port, service_env, tmp_path) as running:
        yield running


@pytest.fixture
def prometheus(kpi: RunningService, tmp_path: Path) -> Iterator[str]:
    (port,) = free_ports(1)
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
        f"rule_files: ['{RULES}']\n"
        "scrape_configs:\n"
        "  - job_name: kpi\n"
        f"    static_configs: [{{targets: ['{kpi.url.removeprefix('http://')}']}}]\n"
    )
    log = (tmp_path / "prometheus.log").open("wb")
    process = subprocess.Popen(  # noqa: S603
        [
            "/usr/bin/prometheus",
            f"--config.file={config}",
            f"--storage.tsdb.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def query(prometheus: str, expr: str) -> list[dict[str, Any]]:
    try:
        response = httpx.get(f"{prometheus}/api/v1/query", params={"query": expr}, timeout=5)
    except httpx.HTTPError:
        return []
    return response.json()["data"]["result"] if response.status_code == 200 else []


def wait_for(prometheus: str, expr: str, seconds: float = 60) -> list[dict[str, Any]]:
    def answered() -> list[dict[str, Any]]:
        result = query(prometheus, expr)
        assert result, f"Prometheus has no answer yet to {expr}"
        return result

    return eventually(answered, seconds, interval=0.5)


def test_prometheus_scrapes_the_kpis_of_todays_calls_and_loads_the_alert_rules(
    kpi: RunningService, prometheus: str, servers: Servers, namespace: str
) -> None:
    messages = [(e.call_id.encode(), encode(e)) for e in todays_calls()]
    asyncio.run(produce(servers.kafka_bootstrap_servers, f"{namespace}.call-events", messages))

    offered = wait_for(prometheus, 'kpi_calls_offered_total{queue="sales"} == 4')
    level = wait_for(prometheus, 'kpi_service_level_ratio{queue="sales"}')
    abandon = wait_for(prometheus, 'kpi_abandon_rate_ratio{queue="sales"}')
    received = wait_for(
        prometheus, 'time() - kpi_last_event_received_timestamp_seconds{topic="call-events"}'
    )

    assert offered[0]["metric"]["job"] == "kpi"
    assert float(level[0]["value"][1]) == 2 / 4  # 2 of 3 answered within 20 s, + 1 abandon
    assert float(abandon[0]["value"][1]) == 1 / 4
    assert 0 <= float(received[0]["value"][1]) < 60
    rules = httpx.get(f"{prometheus}/api/v1/rules").json()["data"]["groups"]
    names = {rule["name"] for group in rules for rule in group["rules"]}
    assert {"ServiceLevelBelowTarget", "QueueBacklogGrowing", "KpiEventsStale"} <= names

"""deploy/prometheus: both configurations and the alert rules pass promtool; the compose and the
local configuration scrape the same seven services, by service name and on 127.0.0.1."""

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

PROMETHEUS_DIR = Path(__file__).resolve().parents[1] / "prometheus"
SERVICE_PORTS = {
    "telephony-ingest": 8001,
    "crm": 8002,
    "claims": 8003,
    "proactive-engine": 8004,
    "kpi": 8005,
    "chat": 8006,
    "knowledge": 8007,
}


def _promtool(*args: str) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("promtool")
    if binary is None:
        pytest.fail("promtool is not installed: `make deps` installs it (Debian's prometheus)")
    return subprocess.run(  # noqa: S603 - fixed arguments, no shell
        [binary, *args],
        cwd=PROMETHEUS_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _service_targets(config_name: str) -> dict[str, list[str]]:
    config: dict[str, Any] = yaml.safe_load((PROMETHEUS_DIR / config_name).read_text())
    targets: dict[str, list[str]] = {}
    for job in config["scrape_configs"]:
        if job["job_name"] == "prometheus":
            continue
        targets[job["job_name"]] = [
            target for static in job["static_configs"] for target in static["targets"]
        ]
    return targets


@pytest.mark.parametrize("config_name", ["prometheus.yml", "prometheus.local.yml"])
def test_promtool_accepts_the_configuration(config_name: str) -> None:
    result = _promtool("check", "config", config_name)

    rule_files = list((PROMETHEUS_DIR / "rules").glob("*.yml"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(rule_files)} rule files found" in result.stdout, result.stdout


def test_promtool_accepts_the_rules() -> None:
    rule_files = sorted(str(path) for path in (PROMETHEUS_DIR / "rules").glob("*.yml"))

    result = _promtool("check", "rules", *rule_files)

    assert rule_files
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_alerts_fire_as_their_unit_tests_expect() -> None:
    tests = sorted(
        str(p.relative_to(PROMETHEUS_DIR)) for p in (PROMETHEUS_DIR / "tests").glob("*.yml")
    )

    result = _promtool("test", "rules", *tests)

    assert len(tests) >= 2
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_compose_configuration_scrapes_each_service_by_its_compose_name() -> None:
    expected = {name: [f"{name}:{port}"] for name, port in SERVICE_PORTS.items()}
    expected["chat"].append("chat-2:8006")  # compose runs chat twice, behind its balancer

    assert _service_targets("prometheus.yml") == expected


def test_the_local_configuration_targets_exactly_the_seven_service_ports() -> None:
    targets = _service_targets("prometheus.local.yml")

    assert sorted(t for job in targets.values() for t in job) == [
        f"127.0.0.1:{port}" for port in range(8001, 8008)
    ]
    assert targets == {name: [f"127.0.0.1:{port}"] for name, port in SERVICE_PORTS.items()}

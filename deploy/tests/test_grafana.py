"""deploy/grafana: the provisioned datasource and dashboards agree with each other and with the
compose mounts; every panel of the platform dashboard queries Prometheus."""

import json
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
GRAFANA_DIR = ROOT / "deploy" / "grafana"
DASHBOARD = GRAFANA_DIR / "dashboards" / "platform-overview.json"


def _panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    """Every panel, including those nested in collapsed rows."""
    panels = []
    for panel in dashboard["panels"]:
        panels.extend(panel.get("panels", []) if panel.get("type") == "row" else [panel])
    return panels


def _load_yaml(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_the_dashboard_is_a_provisionable_dashboard() -> None:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))

    assert dashboard["schemaVersion"] >= 39
    assert dashboard["uid"]
    assert dashboard["title"]
    assert dashboard.get("id") is None
    assert _panels(dashboard)


def test_every_panel_queries_the_prometheus_datasource_with_an_expression() -> None:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))

    for panel in _panels(dashboard):
        title = panel["title"]
        assert panel["datasource"]["uid"] == "prometheus", title
        assert panel["targets"], title
        for target in panel["targets"]:
            assert target.get("datasource", {"uid": "prometheus"})["uid"] == "prometheus", title
            assert target["expr"].strip(), title


def test_the_dashboard_shows_health_traffic_and_failures() -> None:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    exprs = " ".join(t["expr"] for panel in _panels(dashboard) for t in panel["targets"])

    for metric in (
        "up{",
        "http_requests_total",
        "faststream_received_messages_total",
        "cc_dlq_messages_total",
        "cc_consumer_failures_total",
    ):
        assert metric in exprs, metric


def test_panel_ids_are_unique() -> None:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    ids = [panel["id"] for panel in _panels(dashboard)]

    assert len(ids) == len(set(ids))


def test_the_provisioned_datasource_has_the_uid_the_dashboards_use() -> None:
    provisioning = _load_yaml(GRAFANA_DIR / "provisioning" / "datasources" / "prometheus.yml")

    (datasource,) = provisioning["datasources"]
    assert datasource["uid"] == "prometheus"
    assert datasource["type"] == "prometheus"
    assert datasource["url"] == "http://prometheus:9090"


def test_the_dashboard_provider_reads_the_folder_compose_mounts() -> None:
    provisioning = _load_yaml(GRAFANA_DIR / "provisioning" / "dashboards" / "dashboards.yml")
    grafana = _load_yaml(ROOT / "docker-compose.yml")["services"]["grafana"]

    (provider,) = provisioning["providers"]
    assert provider["type"] == "file"
    assert provider["options"]["path"] == "/var/lib/grafana/dashboards"
    assert "./deploy/grafana/dashboards:/var/lib/grafana/dashboards:ro" in grafana["volumes"]
    assert "./deploy/grafana/provisioning:/etc/grafana/provisioning:ro" in grafana["volumes"]

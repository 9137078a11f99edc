"""docker-compose.yml: valid for docker-compose, one built service per workspace service, all
health-checked, published on 127.0.0.1 only; PostgreSQL of a current major version, and every
service pointed at it; Keycloak of the local stack's version, importing the realm, in its own
database, whose tokens every service and Prometheus use."""

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
SERVICE_PORTS = {
    "telephony-ingest": 8001,
    "crm": 8002,
    "claims": 8003,
    "proactive-engine": 8004,
    "kpi": 8005,
    "chat": 8006,
    "knowledge": 8007,
}
STATEFUL = ("kafka", "postgres", "prometheus", "grafana")  # keycloak's is in postgres
# PostgreSQL majors still supported upstream (15 is the one Debian 12 ships); 18 moved the
# image's data directory, which the volume below would have to follow.
SUPPORTED_POSTGRES_MAJORS = ("15", "16", "17")


def _docker_compose() -> str:
    binary = shutil.which("docker-compose")
    if binary is None:
        pytest.fail("docker-compose is not installed: `make deps` installs it")
    return binary


def _run_config(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - fixed arguments, no shell
        [_docker_compose(), "-f", str(COMPOSE_FILE), "config", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    """The compose file as docker-compose resolves it (anchors merged, paths absolute)."""
    result = _run_config()
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


def _built_services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: svc for name, svc in compose["services"].items() if "build" in svc}


def _published_ports(svc: dict[str, Any]) -> list[tuple[str, int]]:
    """(host ip, host port) of each published port, in the short or the long syntax."""
    published = []
    for port in svc.get("ports", []):
        if isinstance(port, dict):
            published.append((port.get("host_ip", ""), int(port["published"])))
            continue
        parts = str(port).split("/")[0].split(":")
        host_ip = parts[0] if len(parts) == 3 else ""
        published.append((host_ip, int(parts[-2]) if len(parts) > 1 else 0))
    return published


def test_docker_compose_accepts_the_compose_file() -> None:
    result = _run_config("--quiet")

    assert result.returncode == 0, result.stderr


def test_every_built_service_runs_the_console_script_of_a_workspace_service(
    compose: dict[str, Any],
) -> None:
    built = _built_services(compose)

    assert built, "no service is built from the repository"
    for name, svc in built.items():
        assert Path(svc["build"]["context"]).resolve() == ROOT, name
        assert svc["build"].get("dockerfile", "Dockerfile") == "Dockerfile", name
        service = re.sub(r"-[0-9]+$", "", name)  # chat-2: a second instance of chat
        assert svc.get("command") == [f"cc-{service}"], name
        assert (ROOT / "services" / service).is_dir(), f"services/{service}/ is missing"


@pytest.mark.parametrize("name", sorted(SERVICE_PORTS))
def test_each_workspace_service_has_a_compose_service(compose: dict[str, Any], name: str) -> None:
    assert (ROOT / "services" / name).is_dir(), f"services/{name}/ is missing"
    assert name in _built_services(compose), f"no compose service builds {name}"


@pytest.mark.parametrize(("name", "port"), sorted(SERVICE_PORTS.items()))
def test_each_service_listens_on_all_interfaces_at_its_port_and_checks_readyz_there(
    compose: dict[str, Any], name: str, port: int
) -> None:
    svc = compose["services"][name]
    prefix = name.upper().replace("-", "_")

    assert svc["environment"][f"{prefix}_HTTP_HOST"] == "0.0.0.0"  # noqa: S104
    assert str(svc["environment"][f"{prefix}_HTTP_PORT"]) == str(port)
    assert ("127.0.0.1", port) in _published_ports(svc)
    assert f"127.0.0.1:{port}/readyz" in " ".join(svc["healthcheck"]["test"])


@pytest.mark.parametrize("name", sorted(SERVICE_PORTS))
def test_each_service_waits_for_healthy_kafka_and_postgresql(
    compose: dict[str, Any], name: str
) -> None:
    depends_on = compose["services"][name]["depends_on"]

    assert sorted(depends_on) == ["kafka", "postgres"]
    for dependency in depends_on:
        assert depends_on[dependency]["condition"] == "service_healthy", dependency


def test_every_service_has_a_healthcheck(compose: dict[str, Any]) -> None:
    for name, svc in compose["services"].items():
        healthcheck = svc.get("healthcheck", {})
        assert healthcheck.get("test"), f"{name} has no healthcheck"
        assert not healthcheck.get("disable", False), f"{name} disables its healthcheck"
        assert healthcheck["test"][0] in ("CMD", "CMD-SHELL"), name


def test_every_published_port_binds_loopback_only(compose: dict[str, Any]) -> None:
    for name, svc in compose["services"].items():
        for host_ip, host_port in _published_ports(svc):
            assert host_ip == "127.0.0.1", f"{name} publishes {host_port} on {host_ip or '*'}"


@pytest.mark.parametrize("name", STATEFUL)
def test_stateful_services_keep_their_data_in_named_volumes(
    compose: dict[str, Any], name: str
) -> None:
    named = set(compose.get("volumes") or {})
    sources = []
    for volume in compose["services"][name].get("volumes", []):
        sources.append(volume["source"] if isinstance(volume, dict) else volume.split(":")[0])

    assert named & set(sources), f"{name} has no named volume"


def test_postgres_is_the_official_image_of_a_supported_major_version(
    compose: dict[str, Any],
) -> None:
    repository, _, tag = compose["services"]["postgres"]["image"].partition(":")

    assert repository == "postgres"
    assert tag.split(".")[0].split("-")[0] in SUPPORTED_POSTGRES_MAJORS, tag


def test_postgres_is_healthy_when_pg_isready_says_so_for_the_platforms_database(
    compose: dict[str, Any],
) -> None:
    postgres = compose["services"]["postgres"]
    test = postgres["healthcheck"]["test"]

    assert test[:2] == ["CMD", "pg_isready"]
    assert f"--dbname={postgres['environment']['POSTGRES_DB']}" in test
    assert "/var/lib/postgresql/data" in [
        v["target"] if isinstance(v, dict) else v.split(":")[1] for v in postgres["volumes"]
    ]


@pytest.mark.parametrize("name", sorted(SERVICE_PORTS))
def test_each_service_reaches_the_platforms_postgres_database_as_its_role(
    compose: dict[str, Any], name: str
) -> None:
    postgres = compose["services"]["postgres"]["environment"]
    url = urlsplit(compose["services"][name]["environment"]["CC_POSTGRES_URL"])

    assert (url.scheme, url.hostname, url.port) == ("postgresql", "postgres", 5432)
    assert url.username == postgres["POSTGRES_USER"]
    assert url.password == postgres["POSTGRES_PASSWORD"]
    assert url.path == f"/{postgres['POSTGRES_DB']}"


REALM_FILE = ROOT / "deploy" / "keycloak" / "contact-centre-realm.json"
KEYCLOAK_POM = ROOT / "deploy" / "local" / "keycloak" / "pom.xml"


def _realm() -> dict[str, Any]:
    return json.loads(REALM_FILE.read_text())


def _volume_targets(svc: dict[str, Any]) -> dict[str, str]:
    """target -> source of each bind or volume, in the short or the long syntax."""
    targets = {}
    for volume in svc.get("volumes", []):
        if isinstance(volume, dict):
            targets[volume["target"]] = str(volume.get("source", ""))
        else:
            source, target = volume.split(":")[:2]
            targets[target] = source
    return targets


def test_keycloak_is_the_official_image_of_the_version_the_local_stack_runs(
    compose: dict[str, Any],
) -> None:
    pom = KEYCLOAK_POM.read_text()
    local_version = re.search(r"<keycloak.version>(.+)</keycloak.version>", pom)
    repository, _, tag = compose["services"]["keycloak"]["image"].partition(":")

    assert local_version is not None
    assert (repository, tag) == ("quay.io/keycloak/keycloak", local_version.group(1))


def test_keycloak_imports_the_realm_file_of_the_repository_at_start(
    compose: dict[str, Any],
) -> None:
    keycloak = compose["services"]["keycloak"]
    imported = _volume_targets(keycloak)["/opt/keycloak/data/import"]

    assert "--import-realm" in keycloak["command"]
    assert Path(imported).resolve() == REALM_FILE.parent
    assert _realm()["realm"] == "contact-centre"


def test_keycloak_keeps_its_data_in_its_own_database_of_the_platforms_postgres(
    compose: dict[str, Any],
) -> None:
    keycloak = compose["services"]["keycloak"]
    environment = keycloak["environment"]
    postgres = compose["services"]["postgres"]
    init_dir = _volume_targets(postgres)["/docker-entrypoint-initdb.d"]
    init_sql = (Path(init_dir) / "10-keycloak.sh").read_text()

    assert environment["KC_DB"] == "postgres"  # not its development H2
    assert environment["KC_DB_URL"] == "jdbc:postgresql://postgres:5432/keycloak"
    assert keycloak["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "CREATE DATABASE keycloak OWNER keycloak" in init_sql
    assert environment["KC_DB_PASSWORD"] == postgres["environment"]["KEYCLOAK_DB_PASSWORD"]


@pytest.mark.parametrize("name", sorted(SERVICE_PORTS))
def test_each_service_trusts_the_tokens_of_the_compose_keycloak(
    compose: dict[str, Any], name: str
) -> None:
    keycloak = compose["services"]["keycloak"]["environment"]
    environment = compose["services"][name]["environment"]
    issuer = f"{keycloak['KC_HOSTNAME']}/realms/{_realm()['realm']}"

    assert environment["CC_OIDC_ISSUER"] == issuer
    assert urlsplit(environment["CC_OIDC_JWKS_URL"]).netloc == "keycloak:8080"
    assert ("127.0.0.1", int(urlsplit(issuer).port or 0)) in _published_ports(
        compose["services"]["keycloak"]
    )


def test_prometheus_scrapes_every_service_with_the_realms_prometheus_client() -> None:
    config = yaml.safe_load((ROOT / "deploy" / "prometheus" / "prometheus.yml").read_text())
    clients = {c["clientId"]: c for c in _realm()["clients"]}
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}

    for name in SERVICE_PORTS:
        oauth2 = jobs[name]["oauth2"]
        assert oauth2["client_id"] == "prometheus", name
        assert oauth2["client_secret"] == clients["prometheus"]["secret"], name
        assert urlsplit(oauth2["token_url"]).netloc == "keycloak:8080", name


def test_telephony_ingest_reads_its_people_from_the_compose_keycloak_with_a_view_users_client(
    compose: dict[str, Any],
) -> None:
    environment = compose["services"]["telephony-ingest"]["environment"]
    realm = _realm()
    clients = {c["clientId"]: c for c in realm["clients"]}
    client = clients[environment["TELEPHONY_INGEST_PEOPLE_KEYCLOAK_CLIENT_ID"]]
    [account] = [u for u in realm["users"] if u.get("serviceAccountClientId") == client["clientId"]]
    secret = environment["TELEPHONY_INGEST_PEOPLE_KEYCLOAK_CLIENT_SECRET"]

    assert client["serviceAccountsEnabled"] is True
    assert account["clientRoles"] == {"realm-management": ["view-users"]}
    assert secret == client["secret"]  # the default compose interpolates
    realm_url = urlsplit(environment["TELEPHONY_INGEST_PEOPLE_KEYCLOAK_REALM_URL"])
    assert (realm_url.netloc, realm_url.path) == ("keycloak:8080", f"/realms/{realm['realm']}")

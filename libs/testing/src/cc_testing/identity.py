"""The real identity provider for the tests that sign in through it, picked in DESIGN.md's
order: `CC_TEST_OIDC_ISSUER`; else Keycloak in testcontainers when a Docker engine answers; else
the local stack's Keycloak (with a PostgreSQL of its own), started in a private state directory
on free ports and stopped at the end. Every provider serves deploy/keycloak's realm, whose demo
users and clients the tests sign in with. Only tests asking for the `identity_provider` fixture
pay for it: on the local stack here about 80-90 s the first time (a schema and a realm import
into an empty database), then about 25 s, from a copy of that database kept in the cache
(`seed_file`). Starting it in a thread while other tests ran was measured slower, not faster,
on our 2 cores: both are CPU-bound."""

import contextlib
import hashlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from cc_testing.servers import REPO_ROOT, STACK, docker_engine_answers, free_ports

REALM = "contact-centre"
REALM_FILE = REPO_ROOT / "deploy" / "keycloak" / "contact-centre-realm.json"
KEYCLOAK_IMAGE = "quay.io/keycloak/keycloak:26.0.7"
DEMO_PASSWORD = "demo"  # noqa: S105 - the demo users' password, in the realm file


@dataclass(frozen=True)
class IdentityProvider:
    issuer: str
    origin: str  # "environment", "testcontainers" or "local stack"

    @property
    def token_url(self) -> str:
        return f"{self.issuer}/protocol/openid-connect/token"

    def password_token(self, username: str, password: str = DEMO_PASSWORD) -> str:
        """A person's access token, through the direct grant of the `cc-cli` client."""
        return self._token(
            grant_type="password", client_id="cc-cli", username=username, password=password
        )

    def client_token(self, client_id: str, secret: str) -> str:
        """A machine client's access token (client credentials)."""
        return self._token(
            grant_type="client_credentials", client_id=client_id, client_secret=secret
        )

    def _token(self, **form: str) -> str:
        response = httpx.post(self.token_url, data=form, timeout=30)
        response.raise_for_status()
        token: str = response.json()["access_token"]
        return token


@contextlib.contextmanager
def identity_provider() -> Iterator[IdentityProvider]:
    issuer = os.environ.get("CC_TEST_OIDC_ISSUER")
    if issuer:
        yield IdentityProvider(issuer.rstrip("/"), "environment")
    elif docker_engine_answers():
        with testcontainer_keycloak() as provider:
            yield provider
    else:
        with local_stack_keycloak() as provider:
            yield provider


@contextlib.contextmanager
def testcontainer_keycloak() -> Iterator[IdentityProvider]:
    from testcontainers.core.container import DockerContainer
    from testcontainers.core.waiting_utils import wait_for_logs

    container: Any = (
        DockerContainer(KEYCLOAK_IMAGE)
        .with_command("start-dev --import-realm")
        .with_env("KC_BOOTSTRAP_ADMIN_USERNAME", "admin")
        .with_env("KC_BOOTSTRAP_ADMIN_PASSWORD", "admin")
        .with_volume_mapping(str(REALM_FILE.parent), "/opt/keycloak/data/import", "ro")
        .with_exposed_ports(8080)
    )
    with container:
        wait_for_logs(container, "Listening on:", timeout=180)
        host, port = container.get_container_host_ip(), container.get_exposed_port(8080)
        yield IdentityProvider(f"http://{host}:{port}/realms/{REALM}", "testcontainers")


@contextlib.contextmanager
def local_stack_keycloak() -> Iterator[IdentityProvider]:
    state = Path(tempfile.mkdtemp(prefix="cc-test-keycloak-"))
    state.chmod(0o711)  # PostgreSQL runs as `postgres` when the tests run as root
    postgres_port, keycloak_port = free_ports(2)
    env = {
        **os.environ,
        "CC_STATE_DIR": str(state),
        "CC_POSTGRES_PORT": str(postgres_port),
        "CC_POSTGRES_DATA_DIR": str(state / "postgres-data"),
        "CC_POSTGRES_FSYNC": "off",
        "CC_KEYCLOAK_PORT": str(keycloak_port),
    }
    database = f"postgresql://keycloak:keycloak@127.0.0.1:{postgres_port}/keycloak"
    seed = seed_file()
    try:
        _stack(env, "start", "postgres")
        if seed.exists():
            _postgres_tool("pg_restore", "--no-owner", "--exit-on-error", "-d", database, str(seed))
        _stack(env, "start", "keycloak")
        if not seed.exists():
            _save_seed(database, seed)
        yield IdentityProvider(f"http://127.0.0.1:{keycloak_port}/realms/{REALM}", "local stack")
    finally:
        subprocess.run(  # noqa: S603
            [str(STACK), "stop", "keycloak", "postgres"], env=env, capture_output=True, check=False
        )
        shutil.rmtree(state, ignore_errors=True)


def seed_file() -> Path:
    """Keycloak's database as its first start on an empty one left it (its schema and the
    imported realm), kept in the cache for this Keycloak and realm file: restored, it turns the
    next session's 80-90 s first start into a warm start of about 20 s. Test keys only: the
    realm's signing keys are in it."""
    cache = Path(os.environ.get("CC_CACHE_DIR") or Path.home() / ".cache" / "contact-centre")
    pom = (REPO_ROOT / "deploy" / "local" / "keycloak" / "pom.xml").read_bytes()
    digest = hashlib.sha256(pom + REALM_FILE.read_bytes()).hexdigest()[:16]
    return cache / "keycloak-test-seed" / f"{digest}.dump"


def _save_seed(database: str, seed: Path) -> None:
    seed.parent.mkdir(parents=True, exist_ok=True)
    partial = seed.with_suffix(f".{os.getpid()}.partial")
    _postgres_tool("pg_dump", "--format=custom", f"--file={partial}", database)
    partial.replace(seed)  # whole or absent, whichever session writes it


def _stack(env: dict[str, str], *args: str) -> None:
    done = subprocess.run([str(STACK), *args], env=env, capture_output=True, text=True)  # noqa: S603
    if done.returncode != 0:
        raise RuntimeError(f"stack {' '.join(args)} failed:\n{done.stderr}")


def _postgres_tool(name: str, *args: str) -> None:
    version = os.environ.get("CC_POSTGRES_VERSION", "15")
    done = subprocess.run(  # noqa: S603
        [f"/usr/lib/postgresql/{version}/bin/{name}", *args], capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"{name} failed:\n{done.stderr}")

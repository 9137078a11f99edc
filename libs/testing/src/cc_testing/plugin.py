"""pytest fixtures of the platform (registered through the `pytest11` entry point).

`servers`: the real Kafka and PostgreSQL servers of the session.
`namespace`: a fresh `CC_NAMESPACE` per test, so its topics, consumer groups and PostgreSQL
schemas (`<namespace>_<service>`, in the one database of `servers.postgres_url`) are its own.
`service_env`: the environment a service of that test runs with.
`chromium`, `browser`: Debian's chromium under Playwright (`cc_testing.browser`).
`identity_provider`: the real Keycloak (or `CC_TEST_OIDC_ISSUER`), started only for the tests
that ask for it. On shared servers (given by `CC_TEST_*`), the session's namespaces are removed
at its end (`cleanup.py`), unless `CC_TEST_SERVERS_DISPOSABLE` says the servers are thrown away
after the run (deploy/local/test-servers).

Under pytest-xdist (`make pytest PYTEST_WORKERS=3`: `-n 3 --dist loadgroup`), each worker is a
session of its own: the tests that ask for `identity_provider` are put in one group
(`xdist_group`), so one worker runs them all and Keycloak starts once.
"""

import asyncio
import os
import uuid
from collections.abc import Iterator

import pytest

from cc_testing.browser import browser, chromium
from cc_testing.cleanup import remove_namespaces
from cc_testing.identity import IdentityProvider
from cc_testing.identity import identity_provider as provide_identity
from cc_testing.servers import Servers, real_servers, service_environment

__all__ = ["browser", "chromium", "identity_provider", "namespace", "servers", "service_env"]

_used_namespaces: set[str] = set()
IDENTITY_PROVIDER_GROUP = "identity-provider"


@pytest.hookimpl(tryfirst=True)  # before xdist's worker reads the groups into the test ids
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "identity_provider" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group(IDENTITY_PROVIDER_GROUP))


@pytest.fixture(scope="session")
def servers() -> Iterator[Servers]:
    with real_servers() as found:
        yield found
        # The others stop with the session; disposable ones with the run.
        if found.shared and not os.environ.get("CC_TEST_SERVERS_DISPOSABLE"):
            asyncio.run(remove_namespaces(found, _used_namespaces))


@pytest.fixture
def namespace() -> str:
    name = "t" + uuid.uuid4().hex[:12]
    _used_namespaces.add(name)
    return name


@pytest.fixture
def service_env(servers: Servers, namespace: str) -> dict[str, str]:
    return service_environment(servers, namespace)


@pytest.fixture(scope="session")
def identity_provider() -> Iterator[IdentityProvider]:
    with provide_identity() as provider:
        yield provider

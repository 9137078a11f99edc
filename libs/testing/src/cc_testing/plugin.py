"""pytest fixtures of the platform (registered through the `pytest11` entry point).

`servers`: the real Kafka and MongoDB-compatible servers of the session. `namespace`: a fresh
`CC_NAMESPACE` per test, so its topics, consumer groups and databases are its own.
`service_env`: the environment a service of that test runs with.
"""

import uuid
from collections.abc import Iterator

import pytest

from cc_testing.servers import Servers, real_servers, service_environment


@pytest.fixture(scope="session")
def servers() -> Iterator[Servers]:
    with real_servers() as found:
        yield found


@pytest.fixture
def namespace() -> str:
    return "t" + uuid.uuid4().hex[:12]


@pytest.fixture
def service_env(servers: Servers, namespace: str) -> dict[str, str]:
    return service_environment(servers, namespace)

"""The Keycloak directory reads every page of the realm's users with a client-credentials
token, and keeps its last known map through an outage of the provider (the event path never
waits for it). The real Keycloak is read by tests-e2e/test_one_identity_per_person.py."""

import asyncio
from typing import Any

import httpx
from prometheus_client import CollectorRegistry

from telephony_ingest.agent_identity import AgentIdentities
from telephony_ingest.directory import PAGE_SIZE, KeycloakDirectory
from telephony_ingest.metrics import PeopleDirectoryCollector

REALM = "http://keycloak.test/realms/contact-centre"


def user(index: int, **attributes: list[str]) -> dict[str, Any]:
    return {"id": f"sub-{index}", "username": f"user{index}", "attributes": attributes}


class FakeKeycloak:
    """Keycloak's token endpoint and users listing, as a transport; `down` refuses all."""

    def __init__(self, users: list[dict[str, Any]] | dict[str, Any]) -> None:
        self.users = users
        self.down = False
        self.pages: list[tuple[int, int]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            raise httpx.ConnectError("connection refused", request=request)
        if request.url.path.endswith("/protocol/openid-connect/token"):
            assert request.headers["authorization"].startswith("Basic ")
            return httpx.Response(200, json={"access_token": "admin-token"})
        assert request.url.path == "/admin/realms/contact-centre/users"
        assert request.headers["authorization"] == "Bearer admin-token"
        first, size = int(request.url.params["first"]), int(request.url.params["max"])
        self.pages.append((first, size))
        if isinstance(self.users, dict):  # an error document instead of the listing
            return httpx.Response(200, json=self.users)
        return httpx.Response(200, json=self.users[first : first + size])


def directory(keycloak: FakeKeycloak) -> KeycloakDirectory:
    return KeycloakDirectory(
        REALM,
        "telephony-ingest",
        "secret",
        AgentIdentities(),
        refresh_seconds=0.01,
        retry_seconds=0.01,
        transport=httpx.MockTransport(keycloak),
    )


def test_every_page_of_users_is_read_and_people_without_pbx_attributes_are_left_out() -> None:
    users = [user(i, extension=[str(1000 + i)]) for i in range(PAGE_SIZE + 3)]
    users.append(user(9999, team=["marketing"]))
    keycloak = FakeKeycloak(users)
    people = directory(keycloak)

    assert asyncio.run(people.refresh()) is True

    assert keycloak.pages == [(0, PAGE_SIZE), (PAGE_SIZE, PAGE_SIZE)]
    assert len(people.people().by_agent) == PAGE_SIZE + 3
    assert people.people().subject_of("1127") == "sub-127"


def test_an_outage_keeps_the_last_known_people_and_a_later_read_updates_them() -> None:
    keycloak = FakeKeycloak([user(1, pbx_agent_ids=["Agent/1127"])])
    people = directory(keycloak)
    asyncio.run(people.refresh())

    keycloak.down = True
    read_while_down = asyncio.run(people.refresh())
    during = people.people().subject_of("1127")
    keycloak.down = False
    keycloak.users = [user(2, pbx_agent_ids=["Agent/1127"])]
    asyncio.run(people.refresh())

    assert (read_while_down, during, people.failures) == (False, "sub-1", 1)
    assert people.people().subject_of("1127") == "sub-2"


def test_the_background_run_retries_a_first_read_that_failed() -> None:
    keycloak = FakeKeycloak([user(1, extension=["1127"])])
    keycloak.down = True
    people = directory(keycloak)

    async def start_then_recover() -> str | None:
        await people.refresh()
        running = asyncio.create_task(people.run())
        keycloak.down = False
        for _ in range(200):
            if people.loaded:
                break
            await asyncio.sleep(0.01)
        running.cancel()
        return people.people().subject_of("1127")

    assert asyncio.run(start_then_recover()) == "sub-1"


def test_an_answer_that_is_not_a_list_of_users_keeps_the_last_people() -> None:
    keycloak = FakeKeycloak([user(1, extension=["1127"])])
    people = directory(keycloak)
    asyncio.run(people.refresh())
    keycloak.users = {"error": "unknown_error"}

    assert asyncio.run(people.refresh()) is False
    assert people.people().subject_of("1127") == "sub-1"


def test_prometheus_sees_the_agents_named_and_the_failed_reads() -> None:
    keycloak = FakeKeycloak(
        [user(1, extension=["1127"]), user(2, extension=["1127"]), user(3, extension=["1200"])]
    )
    people = directory(keycloak)
    registry = CollectorRegistry()
    registry.register(PeopleDirectoryCollector(people))
    asyncio.run(people.refresh())
    keycloak.down = True
    asyncio.run(people.refresh())

    def value(name: str) -> float | None:
        return registry.get_sample_value(name)

    assert (
        value("telephony_ingest_people_agents"),
        value("telephony_ingest_people_conflicts"),
        value("telephony_ingest_people_read_failures_total"),
    ) == (1.0, 1.0, 1.0)
    assert value("telephony_ingest_people_read_timestamp_seconds") == people.read_at

"""Where telephony-ingest learns whose a PBX agent is (`People`): the identity provider's users
(Keycloak's admin API) or a static file, for deployments without Keycloak.

The event path only ever reads the last map built (`people()`, no I/O): Keycloak is read at
start-up and then in the background every `refresh_seconds`; while it cannot be reached the
last known map stays in use (and the first read is retried every `retry_seconds`), so an
outage of the identity provider never holds or drops a call event.
"""

import asyncio
import logging
import time
from pathlib import Path
from typing import Any, Protocol

import httpx
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from telephony_ingest.agent_identity import AgentIdentities
from telephony_ingest.people import NOBODY, People, Person

log = logging.getLogger(__name__)

FETCH_TIMEOUT_SECONDS = 10.0
PAGE_SIZE = 200
# A subject is put on events as an `Id`: non-empty, no control characters.
SUBJECT_PATTERN = r"^[^\x00-\x1f\x7f-\x9f]+$"


class PeopleDirectory(Protocol):
    def people(self) -> People:
        """The last known map; never waits."""
        ...


class NoDirectory:
    """No directory configured: every agent keeps its PBX identity."""

    def people(self) -> People:
        return NOBODY


class PersonEntry(BaseModel):
    """One person of the static file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    subject: str = Field(pattern=SUBJECT_PATTERN, description="The person's sign-in subject")
    username: str | None = Field(None, description="For the reader of the file; not used")
    extension: str | None = None
    pbx_agent_ids: list[str] = Field(default_factory=list)

    def person(self) -> Person:
        return Person(self.subject, self.extension, tuple(self.pbx_agent_ids))


PEOPLE_FILE = TypeAdapter(list[PersonEntry])


def parse_people(content: bytes, where: str, identities: AgentIdentities) -> People:
    """A static file's people; ValueError naming the file and pydantic's reason."""
    try:
        entries = PEOPLE_FILE.validate_json(content)
    except ValidationError as error:
        raise ValueError(f"people file {where}: {error}") from error
    return People.of((e.person() for e in entries), identities)


class StaticDirectory:
    """People from a JSON file: `[{"subject": ..., "extension": "1127", "pbx_agent_ids":
    ["Agent/1127"]}, ...]`, read once (a change needs a restart)."""

    def __init__(self, path: Path, identities: AgentIdentities) -> None:
        try:
            content = path.read_bytes()
        except OSError as error:
            raise ValueError(f"people file {path}: {error}") from error
        self._people = parse_people(content, str(path), identities)
        _log_conflicts(self._people, str(path))

    def people(self) -> People:
        return self._people


class KeycloakDirectory:
    """People from Keycloak's admin API (`GET /admin/realms/<realm>/users`, every page, with
    their attributes), read with a client-credentials token of a client whose service account
    holds realm-management's `view-users`."""

    def __init__(
        self,
        realm_url: str,
        client_id: str,
        client_secret: str,
        identities: AgentIdentities,
        refresh_seconds: float = 60.0,
        retry_seconds: float = 5.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.realm_url = realm_url.rstrip("/")
        self.client_id = client_id
        self.client_secret = client_secret
        self.identities = identities
        self.refresh_seconds = refresh_seconds
        self.retry_seconds = retry_seconds
        self.transport = transport
        self._people = NOBODY
        self.loaded = False
        self.failures = 0
        self.read_at: float | None = None  # Unix time of the last successful read

    @property
    def users_url(self) -> str:
        server, _, realm = self.realm_url.rpartition("/realms/")
        return f"{server}/admin/realms/{realm}/users"

    def people(self) -> People:
        return self._people

    async def refresh(self) -> bool:
        """Reads the users again; on failure keeps the last known map. True when read."""
        try:
            users = await self._fetch_users()
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as error:
            self.failures += 1
            log.warning(
                "people directory: Keycloak at %s not read (%s); keeping the last known %d agents",
                self.realm_url,
                error,
                len(self._people.by_agent),
            )
            return False
        self._people = People.of(users, self.identities)
        self.loaded = True
        self.read_at = time.time()
        _log_conflicts(self._people, self.users_url)
        return True

    async def run(self) -> None:
        """Refreshes for ever (the first read is the caller's `refresh`), sooner after a
        failure."""
        read = self.loaded
        while True:
            await asyncio.sleep(self.refresh_seconds if read else self.retry_seconds)
            read = await self.refresh()

    async def _fetch_users(self) -> list[Person]:
        async with httpx.AsyncClient(
            transport=self.transport, timeout=FETCH_TIMEOUT_SECONDS
        ) as client:
            headers = {"Authorization": f"Bearer {await self._token(client)}"}
            people: list[Person] = []
            first = 0
            while True:
                params: dict[str, str | int] = {
                    "first": first,
                    "max": PAGE_SIZE,
                    "briefRepresentation": "false",
                }
                response = await client.get(self.users_url, params=params, headers=headers)
                response.raise_for_status()
                page = response.json()
                if not isinstance(page, list):
                    raise ValueError(f"users: expected a list, got {type(page).__name__}")
                people.extend(p for p in (_person(u) for u in page) if p is not None)
                if len(page) < PAGE_SIZE:
                    return people
                first += PAGE_SIZE

    async def _token(self, client: httpx.AsyncClient) -> str:
        response = await client.post(
            f"{self.realm_url}/protocol/openid-connect/token",
            data={"grant_type": "client_credentials"},
            auth=(self.client_id, self.client_secret),
        )
        response.raise_for_status()
        return str(response.json()["access_token"])


def _person(user: dict[str, Any]) -> Person | None:
    """A Keycloak user representation's PBX attributes; None for a user without any (a
    back-office user, a service account)."""
    attributes: dict[str, list[str]] = user.get("attributes") or {}
    extension = next(iter(attributes.get("extension", [])), None)
    pbx_agent_ids = tuple(attributes.get("pbx_agent_ids", []))
    if extension is None and not pbx_agent_ids:
        return None
    return Person(str(user["id"]), extension, pbx_agent_ids)


def _log_conflicts(people: People, where: str) -> None:
    for agent, subjects in sorted(people.conflicts.items()):
        log.warning(
            "people directory %s: PBX agent %r is claimed by %s; it keeps its PBX identity",
            where,
            agent,
            ", ".join(sorted(subjects)),
        )

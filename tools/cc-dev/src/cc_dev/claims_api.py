"""Simulated claims worked through the claims tool's HTTP API, as operators would work them,
instead of ticket events published straight to Kafka: the simulated `ticket.opened` opens a
claim, each `ticket.assigned` hands it over, `ticket.closed` records the decision and closes it
(or closes it unresolved). claims then publishes the ticket topics itself. HTTP adapter (httpx).

The simulator's ticket ids become the ids claims gives; each command carries the version the
previous answer gave (If-Match). Every command is taken as the caller whose token is used (in
the demo, the `services` client's account): the people named are the responsibles."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from cc_dev.errors import HttpError
from cc_dev.simulation import Emission
from cc_schemas import ClaimOutcome, Event, Resolution, TicketAssigned, TicketClosed, TicketOpened

UNRESOLVED_REASON = "the customer's request could not be met"


@dataclass
class Held:
    ticket_id: str  # the id claims gave
    version: int


class ClaimsApi:
    """Sends ticket events as commands to claims at `base_url`; `renew()` gives a fresh bearer
    token (called at the start and once again when claims answers 401: tokens expire)."""

    def __init__(self, client: httpx.AsyncClient, base_url: str, renew: Callable[[], str]) -> None:
        self.client, self.base_url, self.renew = client, base_url.rstrip("/"), renew
        self.tickets: dict[str, Held] = {}
        self.token: str | None = None

    def carries(self, event: Event) -> bool:
        return isinstance(event, TicketOpened | TicketAssigned | TicketClosed)

    async def post(self, event: Event) -> None:
        if isinstance(event, TicketOpened):
            await self._open(event)
        elif isinstance(event, TicketAssigned):
            await self._command(
                event.ticket_id, "assign", {"person": event.assignee, "team": event.team.value}
            )
        elif isinstance(event, TicketClosed):
            await self._close(event)

    async def _open(self, opened: TicketOpened) -> None:
        claim: dict[str, Any] = {
            "customer_id": opened.customer_id,
            "channel": opened.channel.value,
            "cluster": opened.cluster,
            "subject": opened.subject,
            "priority": opened.priority.value,
        }
        if opened.order_id:
            claim["order_id"] = opened.order_id
        if opened.assignee:
            claim["assignee"] = {"person": opened.assignee, "team": opened.team.value}
        answer = await self._send("/v1/tickets", claim, None)
        self.tickets[opened.ticket_id] = Held(answer["ticket_id"], answer["version"])

    async def _close(self, closed: TicketClosed) -> None:
        if closed.resolution is Resolution.RESOLVED:
            outcome = closed.outcome if closed.outcome not in (None, ClaimOutcome.NONE) else None
            decision = {"outcome": (outcome or ClaimOutcome.VOUCHER).value, "reason": "simulated"}
            await self._command(closed.ticket_id, "resolve", decision)
            await self._command(closed.ticket_id, "close", {"resolution": "resolved"})
        else:
            body = {"resolution": "unresolved", "reason": closed.note or UNRESOLVED_REASON}
            await self._command(closed.ticket_id, "close", body)

    async def _command(self, simulated_id: str, action: str, body: dict[str, Any]) -> None:
        held = self.tickets.get(simulated_id)
        if held is None:  # opened before the simulated window: claims never saw it
            return
        answer = await self._send(f"/v1/tickets/{held.ticket_id}/{action}", body, held.version)
        held.version = answer["version"]

    async def _send(self, path: str, body: dict[str, Any], version: int | None) -> dict[str, Any]:
        url = self.base_url + path
        for attempt in (1, 2):
            if self.token is None or attempt == 2:
                self.token = await asyncio.to_thread(self.renew)
            headers = {"authorization": f"Bearer {self.token}"}
            if version is not None:
                headers["if-match"] = f'"{version}"'
            try:
                response = await self.client.post(url, json=body, headers=headers)
            except httpx.HTTPError as error:
                raise HttpError(f"{url}: {error!r}") from None
            if response.status_code != 401:
                break
        if response.status_code >= 400:
            raise HttpError(f"{url} answered {response.status_code}: {response.text[:500]}")
        answered: dict[str, Any] = response.json()
        return answered


class ClaimsSink:
    """Ticket events through claims' HTTP API; every other event to `other`."""

    def __init__(self, claims: ClaimsApi, other: Any) -> None:
        self.claims, self.other = claims, other

    async def send(self, emission: Emission) -> None:
        if self.claims.carries(emission.event):
            await self.claims.post(emission.event)
        else:
            await self.other.send(emission)

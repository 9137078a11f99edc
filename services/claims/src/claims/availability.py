"""Whether the shop has a product in stock, for a replacement decision: the shop's HTTP lookup
(`GET <CLAIMS_AVAILABILITY_URL>/products/{id}/availability` answering `{"in_stock": true}`),
behind a Protocol so tests use a fake. Unknown (no lookup configured, or the shop not
answering) is None: the operator decides without it, and the shop refuses what it cannot send."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol
from urllib.parse import quote

import httpx

log = logging.getLogger(__name__)


class Availability(Protocol):
    async def in_stock(self, product_id: str) -> bool | None: ...


class NoLookup:
    async def in_stock(self, product_id: str) -> bool | None:
        return None


class ShopAvailability:
    """One short request per decision (they are a person's clicks, not a stream)."""

    def __init__(self, base_url: str, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._base, self._transport = base_url.rstrip("/"), transport

    async def in_stock(self, product_id: str) -> bool | None:
        url = f"{self._base}/products/{quote(product_id, safe='')}/availability"
        try:
            async with httpx.AsyncClient(transport=self._transport, timeout=2.0) as client:
                answer = await client.get(url)
            answer.raise_for_status()
            found = answer.json().get("in_stock")
        except (httpx.HTTPError, ValueError, AttributeError) as error:
            log.warning("product availability unknown", extra={"url": url, "error": repr(error)})
            return None
        return found if isinstance(found, bool) else None


async def first_in_stock(candidates: Sequence[str], availability: Availability) -> str | None:
    """The first of `candidates` the shop says it has; one it cannot vouch for is not offered."""
    for product in candidates:
        if await availability.in_stock(product) is True:
            return product
    return None

"""crm's customer search (GET /v1/search/customers), asked with the operator's own bearer
token: chat passes on who asks and crm decides what they may see. One box's words go to the
parameter they look like: an e-mail, a phone number, an order number, else a name."""

from __future__ import annotations

import re
from dataclasses import dataclass

import httpx
from pydantic import BaseModel

from cc_schemas import CustomerSummary

PHONE = re.compile(r"^\+?[0-9 ()./-]{6,}$")
ORDER = re.compile(r"^[A-Za-z]{1,4}-?[0-9]{3,}$")


class SearchFailed(Exception):
    """crm refused or did not answer; the reason is what to show."""


class Hit(BaseModel):
    customer: CustomerSummary
    matched_by: list[str]


class _Results(BaseModel):
    results: list[Hit]


def parameters_of(words: str) -> dict[str, str]:
    """What one search box's words are, as crm's search parameters."""
    words = words.strip()
    if "@" in words:
        return {"email": words}
    if PHONE.match(words):
        return {"phone": words}
    if ORDER.match(words):
        return {"order": words}
    return {"name": words}


@dataclass(frozen=True)
class CrmSearch:
    base_url: str
    timeout_seconds: float = 5.0

    async def customers(self, words: str, authorization: str, limit: int = 5) -> list[Hit]:
        params = {**parameters_of(words), "limit": str(limit)}
        try:
            async with httpx.AsyncClient(timeout=self.timeout_seconds) as client:
                response = await client.get(
                    f"{self.base_url.rstrip('/')}/v1/search/customers",
                    params=params,
                    headers={"Authorization": authorization},
                )
        except httpx.HTTPError as error:
            raise SearchFailed(f"crm unreachable ({type(error).__name__})") from error
        if response.status_code != 200:
            raise SearchFailed(f"crm answered {response.status_code}: {_detail(response)}")
        return _Results.model_validate_json(response.content).results


def _detail(response: httpx.Response) -> str:
    try:
        detail = response.json().get("detail", "")
    except ValueError:
        return response.text[:200]
    return detail if isinstance(detail, str) else str(detail)[:200]

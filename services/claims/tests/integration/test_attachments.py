"""Attachments of a claim on the real database and a blob directory: typed from the content
(not the name), kept once, downloaded as a file the browser saves; too large is a 413 and keeps
nothing; an erased customer's attachments go, content included."""

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from cc_schemas import CustomerErased, encode, topic_of
from cc_testing import Servers, TestIssuer, eventually_async, produce
from claims.app import create_app
from claims.settings import Settings

pytestmark = pytest.mark.infra

ISSUER = TestIssuer()
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 500
LIMIT = 2000
CLAIM = {"customer_id": "C-5", "channel": "web", "cluster": "delivery", "subject": "Box crushed"}


def anna() -> dict[str, str]:
    return ISSUER.bearer(["operator"], subject="anna")


@pytest.fixture
def blobs(tmp_path: Path) -> Path:
    return tmp_path / "blobs"


@pytest.fixture
async def client(service_env: dict[str, str], blobs: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(  # type: ignore[call-arg]
        **service_env, **ISSUER.env(), attachments_dir=blobs, attachment_max_bytes=LIMIT
    )
    app: FastAPI = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://claims") as client:
            yield client


async def attach(
    client: httpx.AsyncClient, ticket_id: str, name: str, content: bytes
) -> httpx.Response:
    return await client.post(
        f"/v1/tickets/{ticket_id}/attachments", files={"file": (name, content)}, headers=anna()
    )


def stored(blobs: Path) -> list[str]:
    return sorted(p.name for p in blobs.rglob("*") if p.is_file())


async def test_a_photo_named_as_text_is_typed_as_a_photo_and_kept_once(
    client: httpx.AsyncClient, blobs: Path
) -> None:
    ticket = (await client.post("/v1/tickets", json=CLAIM, headers=anna())).json()
    first = await attach(client, ticket["ticket_id"], "notes.txt", PNG)
    again = await attach(client, ticket["ticket_id"], "same-photo.png", PNG)
    assert (first.status_code, again.status_code) == (201, 201), first.text
    assert (first.json()["content_type"], first.json()["size"]) == ("image/png", len(PNG))
    assert len(stored(blobs)) == 1

    listed = (
        await client.get(f"/v1/tickets/{ticket['ticket_id']}/attachments", headers=anna())
    ).json()
    assert [(a["filename"], a["uploaded_by"]) for a in listed] == [
        ("notes.txt", "anna"),
        ("same-photo.png", "anna"),
    ]
    got = await client.get(
        f"/v1/tickets/{ticket['ticket_id']}/attachments/{listed[0]['attachment_id']}",
        headers=anna(),
    )
    assert (got.status_code, got.content) == (200, PNG)
    assert (got.headers["content-type"], got.headers["x-content-type-options"]) == (
        "image/png",
        "nosniff",
    )
    assert got.headers["content-disposition"].startswith('attachment; filename="notes.txt"')


async def test_too_large_is_a_413_and_keeps_nothing_and_unknown_ids_are_404(
    client: httpx.AsyncClient, blobs: Path
) -> None:
    ticket = (await client.post("/v1/tickets", json=CLAIM, headers=anna())).json()
    big = await attach(client, ticket["ticket_id"], "video.mp4", b"x" * (LIMIT + 1))
    assert (big.status_code, "over the limit of 2,000 bytes" in big.text) == (413, True)
    assert stored(blobs) == []
    assert (await attach(client, "T-404", "a.png", PNG)).status_code == 404
    missing = await client.get(
        f"/v1/tickets/{ticket['ticket_id']}/attachments/nope", headers=anna()
    )
    assert missing.status_code == 404


async def test_an_erased_customers_attachments_go_with_their_content(
    client: httpx.AsyncClient, blobs: Path, servers: Servers, namespace: str
) -> None:
    ticket = (await client.post("/v1/tickets", json=CLAIM, headers=anna())).json()
    assert (await attach(client, ticket["ticket_id"], "damage.png", PNG)).status_code == 201
    erased = CustomerErased(
        event_id="erase-C-5", occurred_at=ticket["opened_at"], source="crm", customer_id="C-5"
    )
    topic = f"{namespace}.{topic_of(erased)}"
    await produce(servers.kafka_bootstrap_servers, topic, [(b"C-5", encode(erased))])

    async def gone() -> Any:
        listed = await client.get(f"/v1/tickets/{ticket['ticket_id']}/attachments", headers=anna())
        assert listed.json() == []
        assert stored(blobs) == []

    await eventually_async(gone)

"""Attachments on contacts and cases, on the real database and a blob directory: typed from
their content whatever their name, kept once per sha256, downloaded as attachments a browser
saves; a case shows its own and its contacts' files; a file is reached only through its contact
or case, by those who may see them; an erased customer's files go, content included."""

import hashlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from cc_schemas import Caller, CallOffered, CustomerRegistered, Event, encode, key_of, topic_of
from cc_testing import Servers, TestIssuer, eventually_async, produce
from crm.app import create_app
from crm.settings import Settings

pytestmark = pytest.mark.infra

ISSUER = TestIssuer()
NOW = datetime.now(UTC).replace(microsecond=0)
LIMIT = 64 * 1024
# The 8-byte PNG signature and an IHDR chunk: what filetype reads a PNG by.
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000") + b"\0" * 64
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n"


def operator() -> dict[str, str]:
    return ISSUER.bearer(["operator"], subject="op-anna")


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
        async with httpx.AsyncClient(transport=transport, base_url="http://crm") as client:
            yield client


async def send(servers: Servers, namespace: str, events: list[Event]) -> None:
    for event in events:
        await produce(
            servers.kafka_bootstrap_servers,
            f"{namespace}.{topic_of(event)}",
            [(key_of(event).encode(), encode(event))],
        )


async def two_calls_of_anna(client: httpx.AsyncClient, servers: Servers, namespace: str) -> None:
    anna = CustomerRegistered(
        event_id="reg-1",
        occurred_at=NOW - timedelta(days=30),
        source="shop",
        customer_id="C-1",
        phones=("02 1234 5678",),
    )
    await send(servers, namespace, [anna])

    async def known() -> None:
        found = await client.get("/v1/identify?phone=0212345678", headers=operator())
        assert found.json()["customer_id"] == "C-1"

    await eventually_async(known)
    await send(
        servers,
        namespace,
        [
            CallOffered(
                event_id=f"off-{n}",
                occurred_at=NOW - timedelta(minutes=10 - n),
                source="asterisk-queue-log",
                call_id=f"call-{n}",
                queue="support",
                caller=Caller(number_raw="+390212345678"),
            )
            for n in (1, 2)
        ],
    )

    async def recorded() -> None:
        for n in (1, 2):
            read = await client.get(f"/v1/interactions/call-{n}", headers=operator())
            assert read.status_code == 200

    await eventually_async(recorded)


def stored(blobs: Path) -> list[str]:
    return sorted(p.name for p in blobs.rglob("*") if p.is_file())


async def attach(client: httpx.AsyncClient, path: str, name: str, content: bytes) -> httpx.Response:
    return await client.post(
        f"/v1/{path}/attachments", files={"file": (name, content)}, headers=operator()
    )


async def test_files_on_contacts_and_cases_are_typed_kept_once_and_saved_not_rendered(
    client: httpx.AsyncClient, servers: Servers, namespace: str, blobs: Path
) -> None:
    await two_calls_of_anna(client, servers, namespace)
    case = await client.put(
        "/v1/interactions/call-1/case", json={"new": {"title": "Rotto"}}, headers=operator()
    )
    case_id = case.json()["case_id"]

    photo = await attach(client, "interactions/call-1", "foto.txt", PNG)
    again = await attach(client, f"cases/{case_id}", "same-photo.png", PNG)
    invoice = await attach(client, "interactions/call-2", "fattura.pdf", PDF)

    assert [r.status_code for r in (photo, again, invoice)] == [201, 201, 201]
    assert (photo.json()["content_type"], photo.json()["uploaded_by"]) == ("image/png", "op-anna")
    assert invoice.json()["content_type"] == "application/pdf"
    assert stored(blobs) == sorted(hashlib.sha256(c).hexdigest() for c in (PNG, PDF))
    listed = (await client.get(f"/v1/cases/{case_id}/attachments", headers=operator())).json()
    # the case's own and its contact's; call-2's invoice belongs to no contact of the case
    assert sorted(a["filename"] for a in listed) == ["foto.txt", "same-photo.png"]

    saved = await client.get(
        f"/v1/cases/{case_id}/attachments/{photo.json()['attachment_id']}", headers=operator()
    )
    assert saved.status_code == 200
    assert saved.content == PNG
    assert (
        saved.headers["content-type"],
        saved.headers["content-disposition"],
        saved.headers["x-content-type-options"],
    ) == ("image/png", "attachment; filename=\"foto.txt\"; filename*=UTF-8''foto.txt", "nosniff")
    # another contact's file is not reached through this case, nor by a back-office user
    elsewhere = await client.get(
        f"/v1/cases/{case_id}/attachments/{invoice.json()['attachment_id']}", headers=operator()
    )
    back_office = await client.get(
        f"/v1/interactions/call-2/attachments/{invoice.json()['attachment_id']}",
        headers=ISSUER.bearer(["back-office"], subject="mkt-1"),
    )
    assert (elsewhere.status_code, back_office.status_code) == (404, 403)


async def test_too_large_unknown_owners_and_an_erased_customers_files(
    client: httpx.AsyncClient, servers: Servers, namespace: str, blobs: Path
) -> None:
    await two_calls_of_anna(client, servers, namespace)

    too_large = await attach(client, "interactions/call-1", "big.bin", b"x" * (LIMIT + 1))
    nobody = await attach(client, "interactions/nope", "a.pdf", PDF)
    no_case = await client.get("/v1/cases/nope/attachments", headers=operator())
    assert [r.status_code for r in (too_large, nobody, no_case)] == [413, 404, 404]
    assert stored(blobs) == []

    await attach(client, "interactions/call-1", "fattura.pdf", PDF)
    erased = await client.post("/v1/customers/C-1/erase", headers=ISSUER.bearer(["admin"]))

    assert erased.json()["attachments_deleted"] == 1
    assert stored(blobs) == []
    assert (
        await client.get("/v1/interactions/call-1/attachments", headers=operator())
    ).json() == []

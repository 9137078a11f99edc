"""Files in chats on the real broker and PostgreSQL: the customer sends a photo and the
operator a PDF, each a message of the chat; only that chat's parties download them (the
customer with the chat's token, its operator, a supervisor), as attachments the browser saves;
what is not a photo or PDF by its content is 415, a file over the limit 413 before it is read,
and the same content is kept once."""

import hashlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from cc_schemas import CHAT_EVENTS, parse
from cc_testing import Servers, TestIssuer, read_records
from chat.app import create_app
from chat.settings import Settings

pytestmark = pytest.mark.infra

ISSUER = TestIssuer()
LIMIT = 64 * 1024
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02" + b"\x00" * 40
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"


def operator(subject: str) -> dict[str, str]:
    return ISSUER.bearer(["operator"], subject=subject)


@pytest.fixture
async def client(service_env: dict[str, str], tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        **service_env,  # type: ignore[arg-type]
        **ISSUER.env(),
        attachments_dir=tmp_path / "files",
        attachment_max_bytes=LIMIT,
    )
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://chat") as client:
            yield client


async def chat_with_anna(client: httpx.AsyncClient) -> tuple[str, dict[str, str]]:
    ticket = (await client.post("/v1/widget/chats")).json()
    joined = await client.post(f"/v1/chats/{ticket['chat_id']}/join", headers=operator("anna"))
    assert joined.status_code == 200, joined.text
    return ticket["chat_id"], {"Authorization": f"Chat {ticket['token']}"}


def files(name: str, content: bytes, sent_as: str = "image/png") -> dict[str, Any]:
    return {"file": (name, content, sent_as)}


async def test_both_parties_send_files_and_only_the_chats_parties_download_them(
    client: httpx.AsyncClient, servers: Servers, namespace: str, tmp_path: Path
) -> None:
    chat_id, customer = await chat_with_anna(client)
    _, stranger = await chat_with_anna(client)

    photo = await client.post(
        "/v1/widget/attachments", files=files("../../broken toy.png", PNG), headers=customer
    )
    invoice = await client.post(
        f"/v1/chats/{chat_id}/attachments",
        files=files("invoice.pdf", PDF, "text/html"),  # the type sent is ignored
        headers=operator("anna"),
    )
    assert photo.status_code == 201, photo.text
    assert invoice.status_code == 201, invoice.text
    assert (photo.json()["text"], photo.json()["attachment"]["content_type"]) == (
        "broken toy.png",
        "image/png",
    )
    pdf_id = invoice.json()["attachment"]["attachment_id"]
    photo_id = photo.json()["attachment"]["attachment_id"]
    listed = (await client.get(f"/v1/chats/{chat_id}/messages", headers=operator("anna"))).json()
    assert [
        (m["sender"], m["text"], (m["attachment"] or {}).get("content_type"))
        for m in listed["messages"]
    ] == [
        ("customer", "broken toy.png", "image/png"),
        ("agent", "invoice.pdf", "application/pdf"),
    ]

    by_customer = await client.get(f"/v1/widget/attachments/{pdf_id}", headers=customer)
    by_holder = await client.get(
        f"/v1/chats/{chat_id}/attachments/{photo_id}", headers=operator("anna")
    )
    by_supervisor = await client.get(
        f"/v1/chats/{chat_id}/attachments/{photo_id}",
        headers=ISSUER.bearer(["supervisor"], subject="sara"),
    )
    by_other_operator = await client.get(
        f"/v1/chats/{chat_id}/attachments/{photo_id}", headers=operator("marco")
    )
    by_other_customer = await client.get(f"/v1/widget/attachments/{pdf_id}", headers=stranger)
    through_other_chat = await client.get(
        f"/v1/chats/{(await chat_with_anna(client))[0]}/attachments/{photo_id}",
        headers=operator("anna"),
    )

    assert by_customer.status_code == 200
    assert by_customer.content == PDF
    assert by_customer.headers["content-type"] == "application/pdf"
    assert by_customer.headers["content-disposition"] == (
        "attachment; filename=\"invoice.pdf\"; filename*=UTF-8''invoice.pdf"
    )
    assert by_customer.headers["x-content-type-options"] == "nosniff"
    assert (by_holder.content, by_supervisor.content) == (PNG, PNG)
    assert by_other_operator.status_code == 403
    assert "is answered by anna" in by_other_operator.json()["detail"]
    assert (by_other_customer.status_code, by_other_customer.json()["detail"]) == (
        404,
        f"no file {pdf_id!r} in this chat",
    )
    assert through_other_chat.status_code == 404
    kept = tmp_path / "files" / hashlib.sha256(PNG).hexdigest()[:2]
    assert kept.is_dir()

    records = await read_records(
        servers.kafka_bootstrap_servers,
        f"{namespace}.{CHAT_EVENTS}",
        until=lambda got: sum(b"chat.message_sent" in r.value for r in got) >= 2,
    )
    sent = [parse(CHAT_EVENTS, r.value) for r in records if b"chat.message_sent" in r.value]
    assert [(e.sender, e.text) for e in sent] == [  # type: ignore[attr-defined]
        ("customer", "broken toy.png"),
        ("agent", "invoice.pdf"),
    ]


async def test_other_files_are_415_too_large_413_unread_and_the_same_content_is_kept_once(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    _, customer = await chat_with_anna(client)
    page = await client.post(
        "/v1/widget/attachments",
        files=files("photo.png", b"<html><script>alert(1)</script></html>"),
        headers=customer,
    )
    declared = await client.post(
        "/v1/widget/attachments",
        content=b"x",
        headers={
            **customer,
            "Content-Length": str(LIMIT * 2),
            "Content-Type": "multipart/form-data; boundary=x",
        },
    )
    over = await client.post(
        "/v1/widget/attachments", files=files("big.png", PNG + b"\x00" * LIMIT), headers=customer
    )
    twice = [
        await client.post("/v1/widget/attachments", files=files(f"{n}.png", PNG), headers=customer)
        for n in ("one", "two")
    ]
    none = await client.post("/v1/widget/attachments", headers=customer)

    assert (page.status_code, page.json()["detail"]) == (
        415,
        "a chat carries photos (JPEG, PNG, GIF, WebP, HEIC) and PDFs; this file's content is "
        "application/octet-stream",
    )
    assert declared.status_code == 413
    assert declared.json()["detail"].startswith("a file body holds at most")
    assert (over.status_code, over.json()["detail"]) == (
        413,
        f"the file is over the limit of {LIMIT:,} bytes",
    )
    assert [t.status_code for t in twice] == [201, 201]
    blobs = [p for p in (tmp_path / "files").rglob("*") if p.is_file()]
    assert [p.name for p in blobs] == [hashlib.sha256(PNG).hexdigest()]  # the page went at once
    assert none.status_code == 422

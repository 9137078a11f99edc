"""Bad input on the message routes, on the real broker and PostgreSQL: a body over the limit is
refused (413) before it is read, whether it declares its length or streams it; a malformed body
is 422 with the reason; the customer side's rate limits answer 429 with Retry-After; and random
bodies thrown at every message route never get a 5xx."""

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from cc_testing import TestIssuer
from chat.app import create_app
from chat.settings import Settings

pytestmark = pytest.mark.infra

ISSUER = TestIssuer()
LIMIT = 50 * 12 + 1024  # the body of a 50-character message, at most


def anna() -> dict[str, str]:
    return ISSUER.bearer(["operator"], subject="anna-sub")


def build(service_env: dict[str, str], **overrides: Any) -> FastAPI:
    return create_app(Settings(**service_env, **ISSUER.env(), message_max_chars=50, **overrides))


@pytest.fixture
async def client(service_env: dict[str, str]) -> AsyncIterator[httpx.AsyncClient]:
    application = build(
        service_env,
        customer_messages_per_minute=6,  # one every 10 s after a burst of 3
        customer_messages_burst=3,
        public_calls_per_minute=60,
        public_calls_burst=4,
    )
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://chat") as client:
            yield client


async def start(client: httpx.AsyncClient) -> tuple[str, dict[str, str]]:
    ticket = (await client.post("/v1/widget/chats")).json()
    return ticket["chat_id"], {"Authorization": f"Chat {ticket['token']}"}


async def test_an_oversized_body_is_refused_before_it_is_read(client: httpx.AsyncClient) -> None:
    _, customer = await start(client)
    pulled = 0

    async def a_megabyte() -> AsyncIterator[bytes]:
        nonlocal pulled
        for _ in range(1024):
            pulled += 1
            yield b"x" * 1024

    declared = await client.post(
        "/v1/widget/messages",
        content=b'{"text": "hi"}',
        headers={**customer, "Content-Length": "1000000000", "Content-Type": "application/json"},
    )
    streamed = await client.post(
        "/v1/widget/messages",
        content=a_megabyte(),
        headers={**customer, "Content-Type": "application/json"},
    )
    operator = await client.post("/v1/chats/any/messages", content=a_megabyte(), headers=anna())

    assert (declared.status_code, declared.json()["detail"]) == (
        413,
        f"a message body holds at most {LIMIT} bytes; this one declares 1000000000",
    )
    assert (streamed.status_code, streamed.json()["detail"]) == (
        413,
        f"a message body holds at most {LIMIT} bytes; this one sent more",
    )
    assert operator.status_code == 413
    assert pulled <= 2 * (LIMIT // 1024 + 2)  # stopped at the limit, not read to the end


async def test_malformed_bodies_are_422_with_the_reason(client: httpx.AsyncClient) -> None:
    _, customer = await start(client)
    json_type = {"Content-Type": "application/json"}

    broken = await client.post(
        "/v1/widget/messages", content=b'{"text": ', headers={**customer, **json_type}
    )
    not_text = await client.post("/v1/widget/messages", json={"text": 42}, headers=customer)
    a_list = await client.post("/v1/widget/messages", json=["hi"], headers=customer)
    bad_score = await client.post("/v1/widget/csat", json={"score": "five"}, headers=customer)

    for answer in (broken, not_text, a_list, bad_score):
        assert answer.status_code == 422, answer.text
        [problem] = answer.json()["detail"]
        assert problem["msg"]
        assert problem["loc"][0] == "body"
    assert broken.json()["detail"][0]["msg"] == "JSON decode error"
    _, another = await start(client)  # this chat has spent its burst of 3 (429 next)
    not_utf8 = await client.post(
        "/v1/widget/messages", content=b"\x80", headers={**another, "Content-Type": "text/plain"}
    )
    infinite = await client.post(
        "/v1/widget/messages", content=b"Infinity", headers={**another, **json_type}
    )
    assert (not_utf8.status_code, not_utf8.json()["detail"][0]["input"]) == (422, "\ufffd")
    assert (infinite.status_code, infinite.json()["detail"][0]["input"]) == (422, "inf")


async def test_a_chat_writing_too_fast_gets_429_with_retry_after_and_other_chats_do_not(
    client: httpx.AsyncClient,
) -> None:
    _, customer = await start(client)
    _, other = await start(client)

    sent = [
        await client.post("/v1/widget/messages", json={"text": f"m{i}"}, headers=customer)
        for i in range(4)
    ]
    elsewhere = await client.post("/v1/widget/messages", json={"text": "hi"}, headers=other)

    assert [a.status_code for a in sent] == [201, 201, 201, 429]
    assert sent[3].headers["Retry-After"] == "10"
    assert sent[3].json()["detail"] == (
        "too many calls for this chat: at most 6 a minute (3 at once); try again in 10 s"
    )
    assert elsewhere.status_code == 201
    reading = await client.get("/v1/widget/messages", headers=customer)  # reads are not limited
    assert [m["text"] for m in reading.json()["messages"]] == ["m0", "m1", "m2"]


async def test_one_client_starting_chats_too_fast_gets_429(client: httpx.AsyncClient) -> None:
    answers = [(await client.post("/v1/widget/chats")).status_code for _ in range(4)]
    invited = await client.get("/v1/widget/invitation", params={"session_token": "x"})

    assert answers == [201, 201, 201, 201]
    assert (invited.status_code, int(invited.headers["Retry-After"])) == (429, 1)


@pytest.fixture
def sync_client(
    service_env: dict[str, str], tmp_path: Path
) -> Iterator[tuple[TestClient, dict[str, Any]]]:
    """A client, and a chat a customer started and an operator joined (an example ending it
    leaves the rest refused with 409: never a 5xx either)."""
    application = build(
        service_env,
        customer_messages_burst=10_000,
        public_calls_burst=10_000,
        attachments_dir=tmp_path / "files",  # a file the examples send stays in the test's
    )
    with TestClient(application, raise_server_exceptions=False) as client:
        ticket = client.post("/v1/widget/chats").json()
        client.post(f"/v1/chats/{ticket['chat_id']}/join", headers=anna())
        yield client, ticket


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=80),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=12,
)
BODIES = st.one_of(
    st.binary(max_size=3000),
    st.text(max_size=300).map(str.encode),
    st.binary(max_size=200).map(
        lambda raw: (
            b'--b0undary\r\nContent-Disposition: form-data; name="file"; '
            b'filename="x.png"\r\n\r\n' + raw + b"\r\n--b0undary--\r\n"
        )
    ),
    JSON.map(lambda v: json.dumps(v).encode()),
    st.fixed_dictionaries(
        {"text": st.text(max_size=120)}, optional={"message_id": JSON, "score": JSON}
    ).map(lambda v: json.dumps(v).encode()),
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    route=st.sampled_from(["widget", "operator", "csat", "start", "end", "file", "agent-file"]),
    body=BODIES,
    content_type=st.sampled_from(
        [
            "application/json",
            "text/plain",
            "",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=b0undary",
            "multipart/form-data",
        ]
    ),
)
def test_random_bodies_on_the_message_routes_never_get_a_5xx(
    sync_client: tuple[TestClient, dict[str, Any]], route: str, body: bytes, content_type: str
) -> None:
    client, ticket = sync_client
    customer = {"Authorization": f"Chat {ticket['token']}"}
    url, headers = {
        "widget": ("/v1/widget/messages", customer),
        "operator": (f"/v1/chats/{ticket['chat_id']}/messages", anna()),
        "csat": ("/v1/widget/csat", customer),
        "start": ("/v1/widget/chats", {}),
        "end": ("/v1/widget/end", customer),
        "file": ("/v1/widget/attachments", customer),
        "agent-file": (f"/v1/chats/{ticket['chat_id']}/attachments", anna()),
    }[route]
    if content_type:
        headers = {**headers, "Content-Type": content_type}

    answer = client.post(url, content=body, headers=headers)

    assert answer.status_code < 500, (route, body[:200], answer.text)

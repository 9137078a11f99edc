"""Editors approve (with their edits) or reject mined topic candidates, and the approved FAQ are
found by the public search in English and Italian, accents folded, a short query's typo
forgiven; every search answer offers the way to a person. Real database."""

import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from cc_runtime.postgres import Database
from cc_runtime.settings import schema_name
from cc_testing import Servers, TestIssuer, service_environment
from knowledge.app import create_app
from knowledge.intake import MiningCase
from knowledge.mining.pipeline import RawCase, prepare
from knowledge.repository import PostgresMiningInput
from knowledge.settings import Settings

pytestmark = pytest.mark.infra

ISSUER = TestIssuer()


def editor() -> dict[str, str]:
    """Minted per call: a token minted at import expires before a long run reaches it."""
    return ISSUER.bearer(["back-office"], subject="erica")


T0 = datetime(2026, 11, 2, 9, tzinfo=UTC)
QUESTIONS = {
    "battery": [
        "the car battery does not charge",
        "battery will not charge",
        "battery not charging",
    ],
    "parcel": ["my parcel has not arrived", "parcel never arrived", "the parcel did not arrive"],
}


@pytest.fixture
async def client(service_env: dict[str, str]) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(**service_env, **ISSUER.env())  # type: ignore[arg-type]
    app: FastAPI = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://knowledge") as client:
            yield client


async def mined_topics(client: httpx.AsyncClient, service_env: dict[str, str]) -> dict[str, Any]:
    database = Database(
        service_env["CC_POSTGRES_URL"], schema_name("knowledge", service_env["CC_NAMESPACE"])
    )
    await database.open()
    try:
        store = PostgresMiningInput(database)
        n = 0
        for topic, questions in QUESTIONS.items():
            for question in questions:
                n += 1
                raw = RawCase(f"case:K-{n}", question, f"{topic} answer", T0 + timedelta(hours=n))
                prepared = prepare(raw)
                assert prepared is not None
                await store.keep(MiningCase(prepared, "crm", f"C-{n}", None))
    finally:
        await database.close()
    assert (await client.post("/v1/mining-runs", headers=editor())).status_code == 201
    topics = (await client.get("/v1/topics", headers=editor())).json()
    return {t["answer"].split()[0]: t for t in topics}


async def search(client: httpx.AsyncClient, q: str) -> dict[str, Any]:
    response = await client.get("/v1/faq/search", params={"q": q})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_approved_faq_are_found_in_both_languages_and_rejected_ones_leave(
    client: httpx.AsyncClient, service_env: dict[str, str]
) -> None:
    topics = await mined_topics(client, service_env)
    assert sorted(topics) == ["battery", "parcel"]
    battery, parcel = topics["battery"]["topic_id"], topics["parcel"]["topic_id"]

    approved = await client.post(
        f"/v1/topics/{battery}/approve",
        headers=editor(),
        json={
            "question": "Perché la batteria della macchinina non si ricarica?",
            "answer": "Caricala 8 ore a interruttore spento prima del primo utilizzo.",
            "language": "it",
        },
    )
    assert approved.status_code == 201, approved.text
    faq_id = approved.json()["faq_id"]
    again = await client.post(f"/v1/topics/{battery}/approve", headers=editor(), json={
        "question": "x" * 5, "answer": "y" * 5, "language": "en"})  # fmt: skip
    assert (again.status_code, again.json()["detail"]) == (
        409,
        f"topic {battery} was already approved",
    )
    rejected = await client.post(f"/v1/topics/{parcel}/reject", headers=editor())
    assert rejected.json() == {"topic_id": parcel, "decision": "rejected", "faq_id": None}
    assert (await client.get("/v1/topics", headers=editor())).json() == []
    missing = await client.post("/v1/topics/999999/reject", headers=editor())
    assert missing.status_code == 404

    for query in ("perche la batteria non si ricarica", "batterie", "ricaricare", "batteira"):
        found = await search(client, query)
        assert [r["faq_id"] for r in found["results"]] == [faq_id], query
    nothing = await search(client, "parcel arrived")
    assert nothing["results"] == []
    assert nothing["person"] == {
        "chat_url": "http://127.0.0.1:8006/widget/demo",
        "callback_url": "http://127.0.0.1:8006/widget/demo#call-back",
    }
    assert (await client.get("/v1/faq/search", params={"q": "  "})).status_code == 422
    assert (await client.get("/v1/faq/search")).status_code == 422


@pytest.fixture(scope="module")
def sync_client(servers: Servers) -> Iterator[TestClient]:
    env = service_environment(servers, "faq_" + uuid.uuid4().hex[:8])
    settings = Settings(**env, **ISSUER.env())  # type: ignore[arg-type]
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


@settings(max_examples=60, deadline=None)
@given(q=st.text(min_size=1, max_size=200))
def test_any_query_answers_200_with_a_person_or_422_when_blank(
    sync_client: TestClient, q: str
) -> None:
    response = sync_client.get("/v1/faq/search", params={"q": q})
    if q.strip() and "\x00" not in q:
        assert response.status_code == 200, response.text
        assert response.json()["person"]["chat_url"]
    else:
        assert response.status_code == 422, response.text

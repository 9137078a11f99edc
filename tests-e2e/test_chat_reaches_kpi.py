"""A chat worked in chat reaches kpi's chat and CSAT reports, each service its own process on
the real broker and database: a customer starts a chat from the widget, an operator takes it,
they write (the operator answers twice), the operator ends it and the customer rates it 5.
kpi's first-response and reply times are the ones chat's own timestamps give."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from cc_testing import RunningService, TestIssuer, eventually, free_ports, service_process

pytestmark = pytest.mark.infra

ISSUER = TestIssuer()


def anna() -> dict[str, str]:
    """A fresh token: one minted at import expires before a long test session reaches it."""
    return ISSUER.bearer(["operator"], subject="anna")


TODAY = datetime.now(UTC).date()
PERIOD = {"from": str(TODAY - timedelta(days=1)), "to": str(TODAY + timedelta(days=2))}


@pytest.fixture
def platform(
    service_env: dict[str, str], tmp_path: Path
) -> Iterator[tuple[RunningService, RunningService]]:
    chat_port, kpi_port = free_ports(2)
    env = {**service_env, **ISSUER.env()}
    with (
        service_process("kpi", kpi_port, env, tmp_path) as kpi,
        service_process("chat", chat_port, env, tmp_path) as chat,
    ):
        yield chat, kpi


def report(kpi: RunningService, name: str, group_by: str) -> list[dict[str, Any]]:
    response = httpx.get(
        f"{kpi.url}/v1/reports/{name}",
        params={**PERIOD, "group_by": group_by},
        headers=ISSUER.bearer(["supervisor"]),
    )
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()
    return rows


def test_a_chat_and_its_rating_reach_kpis_chat_and_csat_reports(
    platform: tuple[RunningService, RunningService],
) -> None:
    chat, kpi = platform
    ticket = httpx.post(f"{chat.url}/v1/widget/chats", json={"session_id": "S-e2e"}).json()
    customer = {"Authorization": f"Chat {ticket['token']}"}
    chat_url = f"{chat.url}/v1/chats/{ticket['chat_id']}"
    assert httpx.post(f"{chat_url}/join", headers=anna()).status_code == 200
    for sender, text in [
        ("customer", "Does the train take batteries?"),
        ("agent", "Yes, two AA."),
        ("customer", "Included?"),
        ("agent", "Included."),
    ]:
        url, headers = (
            (f"{chat.url}/v1/widget/messages", customer)
            if sender == "customer"
            else (f"{chat_url}/messages", anna())
        )
        assert httpx.post(url, json={"text": text}, headers=headers).status_code == 201
    assert httpx.post(f"{chat_url}/end", headers=anna()).status_code == 200
    rated = httpx.post(f"{chat.url}/v1/widget/csat", json={"score": 5}, headers=customer)
    assert rated.status_code == 200, rated.text
    stored = httpx.get(f"{chat_url}/messages", headers=anna()).json()
    started = datetime.fromisoformat(stored["chat"]["started_at"])
    sent = [datetime.fromisoformat(m["sent_at"]) for m in stored["messages"]]

    def chats_counted() -> list[dict[str, Any]]:
        rows = report(kpi, "chats", "origin")
        assert [(r["origin"], r["chats"], r["responded"], r["replies"]) for r in rows] == [
            ("customer", 1, 1, 2)
        ]
        return rows

    [row] = eventually(chats_counted)
    assert row["average_first_response_seconds"] == pytest.approx(
        (sent[1] - started).total_seconds(), abs=0.001
    )
    assert row["average_reply_seconds"] == pytest.approx(
        ((sent[1] - sent[0]) + (sent[3] - sent[2])).total_seconds() / 2, abs=0.001
    )

    def csat_counted() -> None:
        rows = report(kpi, "csat", "channel")
        assert [(r["channel"], r["responses"], r["satisfied"]) for r in rows] == [("chat", 1, 1)]

    eventually(csat_counted)

"""telephony-ingest's PostgreSQL store on the real server: the ledger's recording, a batch's
open lines kept with it, retention and nonces; the hot queries read their indexes; cc-migrate
brings an empty schema to the current version."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from cc_runtime import AuditEntry
from cc_runtime.migrations import main as cc_migrate
from cc_runtime.postgres import Database
from cc_testing import Servers
from cc_testing.postgres import indexes_used
from telephony_ingest import repository as sql
from telephony_ingest.bulk import open_database
from telephony_ingest.housekeeping import housekeep_once
from telephony_ingest.repository import OpenBatch, PostgresRepository
from telephony_ingest.settings import Settings

pytestmark = pytest.mark.infra

NOW = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)


@pytest.fixture
async def db(
    service_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Database]:
    for name, value in service_env.items():
        monkeypatch.setenv(name, value)
    database = await open_database(Settings())
    yield database
    await database.close()


def request(nonce: str) -> AuditEntry:
    """A signed webhook request of the PBX, as the door audits it."""
    return AuditEntry("pbx", (), "POST /v1/call-events", NOW, nonce, credential="pbx-hmac")


def batch(numbers: list[int]) -> OpenBatch:
    lines = [(n, f"line {n}".encode(), 6) for n in numbers]
    return OpenBatch(f"b{numbers[0]}", "queue_log", NOW + timedelta(minutes=10), lines)


async def test_the_ledger_says_which_lines_are_new_and_holds_only_those_open(db: Database) -> None:
    ledger = PostgresRepository(db)
    first = await ledger.open_batch(batch([1, 2]), ["k1", "k2"])

    second = await ledger.open_batch(batch([3, 4, 5]), ["k2", "k3", "k3"])
    again = await ledger.open_batch(batch([3, 4, 5]), ["k2", "k3", "k3"])  # a lost commit, retried
    expired = await ledger.expired_batches(NOW + timedelta(hours=1))

    assert (first, second, again) == ([True, True], [False, True, False], [False, True, False])
    held = {b.batch_id: [line[0] for line in b.lines] for b in expired}
    assert held == {"b1": [1, 2], "b3": [4]}
    assert await ledger.expired_batches(NOW + timedelta(hours=1)) == []  # claimed for a lease


async def test_a_closed_batch_is_remembered_and_no_longer_open(db: Database) -> None:
    ledger = PostgresRepository(db)
    await ledger.open_batch(batch([1]), ["k1"])

    await ledger.close_batch("b1", "key-of-b1")

    assert await ledger.batch_known("key-of-b1")
    assert not await ledger.batch_known("another")
    assert await ledger.expired_batches(NOW + timedelta(days=1)) == []


async def test_housekeeping_forgets_lines_after_the_retention_and_expired_nonces(
    db: Database,
) -> None:
    store = PostgresRepository(db)
    await store.open_batch(batch([1]), ["old"])
    await store.close_batch("b1", "old-batch")
    async with db.connection() as connection:
        await connection.execute(
            "UPDATE queue_log_lines SET handled_at = $1", NOW - timedelta(days=91)
        )
        await connection.execute(
            "UPDATE queue_log_batches SET handled_at = $1", NOW - timedelta(days=91)
        )
    await store.open_batch(batch([2]), ["recent"])
    assert await store.first_use("spent", NOW - timedelta(seconds=1), request("spent"))
    assert await store.first_use("live", NOW + timedelta(minutes=10), request("live"))

    await housekeep_once(store, NOW, timedelta(days=90))

    async with db.connection() as connection:
        lines = await connection.fetch("SELECT line_id FROM queue_log_lines ORDER BY line_id")
        nonces = await connection.fetch("SELECT nonce FROM webhook_nonces")
    assert [r["line_id"] for r in lines] == ["recent"]
    assert [r["nonce"] for r in nonces] == ["live"]
    assert not await store.batch_known("old-batch")
    assert await store.open_batch(batch([3]), ["old"]) == [True]  # forgotten: new again


async def test_a_nonce_is_accepted_once_also_among_requests_arriving_together(
    db: Database,
) -> None:
    nonces = PostgresRepository(db)

    assert await nonces.first_use("n1", NOW, request("n1")) is True
    assert await nonces.first_use("n1", NOW, request("n1")) is False
    together = await asyncio.gather(
        *(nonces.first_use(n, NOW, request(n)) for n in ["n2", "n1", "n2", "n3"])
    )
    assert together == [True, False, False, True]


async def test_each_accepted_signed_request_is_audited_once_as_the_pbxs(db: Database) -> None:
    nonces = PostgresRepository(db)

    await nonces.first_use("n1", NOW, request("n1"))
    await nonces.first_use("n1", NOW, request("n1"))  # a replay: refused, not audited
    await asyncio.gather(*(nonces.first_use(n, NOW, request(n)) for n in ["n2", "n2", "n3"]))

    async with db.connection() as connection:
        rows = await connection.fetch(
            "SELECT at, subject, roles, client_id, credential, action, target FROM audit"
            " ORDER BY target"
        )
    assert [tuple(r) for r in rows] == [
        (NOW, "pbx", [], None, "pbx-hmac", "POST /v1/call-events", n) for n in ["n1", "n2", "n3"]
    ]


async def test_the_hot_queries_read_their_indexes(db: Database) -> None:
    plans = {}
    async with db.connection() as connection:
        for name, query, args in [
            ("record lines", sql.RECORD_LINES, (["k1", "k2"],)),
            ("batch known", sql.BATCH_KNOWN, ("key",)),
            ("opened lines", sql.OPENED_LINES, ("b1",)),
            ("close batch", sql.CLOSE_BATCH, ("b1",)),
            ("claim expired", sql.CLAIM_EXPIRED, (NOW, NOW)),
            ("forget lines", sql.FORGET_LINES, (NOW,)),
            ("forget batches", sql.FORGET_BATCHES, (NOW,)),
            ("progress", sql.PROGRESS_OF, ("f",)),
            ("followed", sql.FOLLOWED, ("p",)),
            ("first use", sql.FIRST_USE, (["n"], [NOW], [NOW], ["pbx"], ["POST /"], "pbx-hmac")),
            ("purge nonces", sql.PURGE_NONCES, (NOW,)),
        ]:
            plans[name] = await indexes_used(connection, query, *args)
    assert plans == {
        # An insert's plan reads no index: ON CONFLICT probes the primary key as it inserts.
        "record lines": set(),
        "batch known": {"queue_log_batches_pkey"},
        "opened lines": {"queue_log_open_batches_pkey"},
        "close batch": {"queue_log_open_batches_pkey"},
        "claim expired": {"queue_log_open_batches_expires_at"},
        "forget lines": {"queue_log_lines_handled_at"},
        "forget batches": {"queue_log_batches_handled_at"},
        "progress": {"queue_log_progress_pkey"},
        "followed": {"queue_log_follow_pkey"},
        "first use": set(),
        "purge nonces": {"webhook_nonces_expires_at"},
    }


async def test_cc_migrate_creates_the_schema_from_empty_and_then_has_nothing_to_do(
    servers: Servers,
    namespace: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert servers.postgres_url is not None
    monkeypatch.setenv("CC_NAMESPACE", namespace)
    command = ["telephony-ingest", "--url", servers.postgres_url]

    await asyncio.to_thread(cc_migrate, command)
    first = capsys.readouterr()
    await asyncio.to_thread(cc_migrate, command)
    second = capsys.readouterr()

    schema = f"{namespace}_telephony_ingest"
    assert first.out == (
        f"{schema}: applied 0001_line_ledger_follow_nonces.sql\n{schema}: applied 0002_audit.sql\n"
    )
    assert second.out == ""
    assert second.err == f"{schema}: up to date (0002_audit.sql)\n"

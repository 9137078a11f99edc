"""On the real broker: the simulator publishes what its generator makes (keys, topics, valid
events), answers order-commands as a shop, goes through telephony-ingest's signed webhook when
asked; import-queue-log hands a file to telephony-ingest's bulk import."""

import asyncio
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cc_dev.cli import app
from cc_dev.simulation import SimulationParams, simulate_day
from cc_schemas import key_of, parse, topic_of
from cc_testing import (
    RunningService,
    Servers,
    TestIssuer,
    free_ports,
    produce,
    read_records,
    service_process,
)

pytestmark = pytest.mark.infra
runner = CliRunner()
START = "2026-03-02T10:00:00Z"


def cli(servers: Servers, namespace: str, *arguments: str) -> str:
    result = runner.invoke(
        app, [*arguments, "-b", servers.kafka_bootstrap_servers, "-n", namespace]
    )
    assert result.exit_code == 0, result.output
    return result.output


def expected(hours: float) -> Counter[str]:
    params = SimulationParams(seed=4, start=datetime(2026, 3, 2, 10, tzinfo=UTC), hours=hours)
    return Counter(topic_of(e.event) for e in simulate_day(params))


ISSUER = TestIssuer()  # telephony-ingest trusts its key: its imports take an admin's token


@pytest.fixture
def ingest(service_env: dict[str, str], tmp_path: Path) -> Iterator[RunningService]:
    (port,) = free_ports(1)
    env = {**service_env, **ISSUER.env(), "TELEPHONY_INGEST_IMPORT_ROOTS": f'["{tmp_path}"]'}
    with service_process("telephony-ingest", port, env, tmp_path) as service:
        yield service


def test_a_simulated_window_lands_on_the_topics_with_its_keys(
    servers: Servers, namespace: str
) -> None:
    bootstrap = servers.kafka_bootstrap_servers
    wanted = expected(0.25)

    output = cli(
        servers,
        namespace,
        "simulate",
        "--seed",
        "4",
        "--start",
        START,
        "--hours",
        "0.25",
        "--as-fast-as-possible",
        "--no-answer-commands",
    )

    assert f"simulated {sum(wanted.values())} events" in output
    calls = asyncio.run(
        read_records(
            bootstrap, f"{namespace}.call-events", until=lambda r: len(r) >= wanted["call-events"]
        )
    )
    assert len(calls) == wanted["call-events"]
    for record in calls:
        event = parse("call-events", record.value)
        assert record.key == key_of(event).encode()
    carts = asyncio.run(
        read_records(
            bootstrap, f"{namespace}.cart-events", until=lambda r: len(r) >= wanted["cart-events"]
        )
    )
    assert len(carts) == wanted["cart-events"] > 0


def test_the_simulator_answers_an_order_command_as_the_shop_would(
    servers: Servers, namespace: str
) -> None:
    bootstrap = servers.kafka_bootstrap_servers
    cli(servers, namespace, "topics", "create", "--partitions", "1")
    command = (
        b'{"event_id": "cmd-1", "event_type": "order.cancel_requested", '
        b'"occurred_at": "2026-03-02T10:00:00Z", "source": "crm", "order_id": "ord-77", '
        b'"requested_by": "op-01", "reason": "customer asked"}'
    )
    asyncio.run(produce(bootstrap, f"{namespace}.order-commands", [(b"ord-77", command)]))

    # A window longer than the run: it stops on the wall-clock duration, leaving the shop's
    # command consumer time to join its group and answer.
    cli(
        servers,
        namespace,
        "simulate",
        "--start",
        START,
        "--hours",
        "1",
        "--speed",
        "100",
        "--duration",
        "10",
        "--sessions-per-day",
        "0",
        "--calls-per-day",
        "0",
    )

    answers = asyncio.run(
        read_records(
            bootstrap,
            f"{namespace}.order-events",
            until=lambda rs: any(
                b'"order.cancelled"' in r.value and b"ord-77" in r.value for r in rs
            ),
        )
    )
    cancelled = [parse("order-events", r.value) for r in answers if b"ord-77" in r.value]
    assert [(c.event_type, c.reason) for c in cancelled] == [("order.cancelled", "customer asked")]  # type: ignore[attr-defined]


def test_call_and_agent_events_can_go_through_telephony_ingests_signed_webhook(
    servers: Servers, namespace: str, ingest: RunningService
) -> None:
    bootstrap = servers.kafka_bootstrap_servers
    wanted = expected(0.1)

    cli(
        servers,
        namespace,
        "simulate",
        "--seed",
        "4",
        "--start",
        START,
        "--hours",
        "0.1",
        "--as-fast-as-possible",
        "--calls-via-webhook",
        ingest.url,
        "--no-answer-commands",
    )

    calls = asyncio.run(
        read_records(
            bootstrap, f"{namespace}.call-events", until=lambda r: len(r) >= wanted["call-events"]
        )
    )
    assert len(calls) == wanted["call-events"] > 0
    agents = asyncio.run(
        read_records(
            bootstrap, f"{namespace}.agent-events", until=lambda r: len(r) >= wanted["agent-events"]
        )
    )
    assert len(agents) == wanted["agent-events"] > 0


QUEUE_LOG = """\
1772445600|1772445600.1|sales|NONE|ENTERQUEUE||+390212345678|1
1772445612|1772445600.1|sales|PJSIP/1001|CONNECT|12|1772445612.2|3
1772445790|1772445600.1|sales|PJSIP/1001|COMPLETECALLER|12|178|1
"""


def test_a_queue_log_file_is_imported_by_telephony_ingest(
    servers: Servers, namespace: str, ingest: RunningService, tmp_path: Path
) -> None:
    path = tmp_path / "queue_log"
    path.write_text(QUEUE_LOG)

    result = runner.invoke(
        app, ["import-queue-log", str(path), "--url", ingest.url, "--token", admin_token()]
    )

    assert result.exit_code == 0, result.output
    records = asyncio.run(
        read_records(
            servers.kafka_bootstrap_servers, f"{namespace}.call-events", until=lambda r: len(r) >= 3
        )
    )
    assert [parse("call-events", r.value).event_type for r in records] == [
        "call.offered",
        "call.answered",
        "call.ended",
    ]


def admin_token() -> str:
    return ISSUER.token(["admin"])


def test_a_server_side_queue_log_is_imported_with_an_admins_token_and_refused_without(
    servers: Servers, namespace: str, service_env: dict[str, str], tmp_path: Path
) -> None:
    path = tmp_path / "queue_log"
    path.write_text(QUEUE_LOG)
    (port,) = free_ports(1)
    env = {
        **service_env,
        **ISSUER.env(),
        "TELEPHONY_INGEST_IMPORT_ROOTS": f'["{tmp_path}"]',
        "TELEPHONY_INGEST_WEBHOOK_SECRET": "not-the-development-default",
    }
    command = ["import-queue-log", str(path), "--server-path"]

    with service_process("telephony-ingest", port, env, tmp_path) as ingest:
        without = runner.invoke(app, [*command, "--url", ingest.url])
        operator = runner.invoke(
            app, [*command, "--url", ingest.url, "--token", ISSUER.token(["operator"])]
        )
        forged = runner.invoke(app, [*command, "--url", ingest.url, "--token", "x" * 40])
        accepted = runner.invoke(app, [*command, "--url", ingest.url, "--token", admin_token()])

    assert (without.exit_code, operator.exit_code, forged.exit_code) == (2, 5, 5)
    assert "needs a bearer token" in without.output
    assert "403" in operator.output
    assert "insufficient_role" in operator.output
    assert "401" in forged.output
    assert accepted.exit_code == 0, accepted.output
    records = asyncio.run(
        read_records(
            servers.kafka_bootstrap_servers, f"{namespace}.call-events", until=lambda r: len(r) >= 3
        )
    )
    assert len(records) == 3


def test_importing_a_missing_file_exits_with_3_and_an_unreachable_service_with_5(
    tmp_path: Path,
) -> None:
    token = ["--token", admin_token()]
    missing = runner.invoke(
        app, ["import-queue-log", str(tmp_path / "nope"), "--url", "http://127.0.0.1:1", *token]
    )
    path = tmp_path / "queue_log"
    path.write_text(QUEUE_LOG)
    unreachable = runner.invoke(
        app, ["import-queue-log", str(path), "--url", "http://127.0.0.1:1", *token]
    )

    assert missing.exit_code == 3
    # Whole on one line, however long the path and narrow the terminal (the conftest's width).
    assert f"error: {tmp_path / 'nope'}: cannot read: No such file or directory\n" in (
        missing.output
    )
    assert unreachable.exit_code == 5
    assert "127.0.0.1:1" in unreachable.output


def test_simulated_claims_can_be_worked_through_the_claims_tools_api(
    servers: Servers, namespace: str, service_env: dict[str, str], tmp_path: Path
) -> None:
    bootstrap = servers.kafka_bootstrap_servers
    params = SimulationParams(seed=4, start=datetime(2026, 3, 2, 10, tzinfo=UTC), hours=0.5)
    simulated = [e.event for e in simulate_day(params)]
    opened = [e for e in simulated if topic_of(e) == "ticket-opened"]
    closed = [e for e in simulated if topic_of(e) == "ticket-closed"]
    (port,) = free_ports(1)
    with service_process("claims", port, {**service_env, **ISSUER.env()}, tmp_path) as claims:
        cli(
            servers,
            namespace,
            "simulate",
            "--seed",
            "4",
            "--start",
            START,
            "--hours",
            "0.5",
            "--tickets-per-day",
            "150",
            "--as-fast-as-possible",
            "--claims-url",
            claims.url,
            "--token",
            ISSUER.token(["operator"], subject="simulator"),
            "--no-answer-commands",
        )
        published = asyncio.run(
            read_records(
                bootstrap, f"{namespace}.ticket-opened", until=lambda r: len(r) >= len(opened)
            )
        )
        closings = asyncio.run(
            read_records(
                bootstrap, f"{namespace}.ticket-closed", until=lambda r: len(r) >= len(closed)
            )
        )
    events = [parse("ticket-opened", r.value) for r in published]
    assert len(events) == len(opened) > 0
    assert {(e.source, e.actor.subject) for e in events} == {("claims", "simulator")}  # type: ignore[union-attr]
    customers = sorted(e.customer_id for e in events)  # type: ignore[attr-defined]
    assert customers == sorted(e.customer_id for e in opened)  # type: ignore[attr-defined]
    assert len(closings) == len(closed)

"""The outage log: the lines of an outage fold into one start line and one end line with its
duration; any other line passes; leader and coordinator changes alone are no outage."""

import asyncio
import logging
from collections.abc import Iterator

import pytest
from aiokafka.errors import KafkaConnectionError, NotLeaderForPartitionError
from asyncpg.exceptions import CannotConnectNowError

from cc_runtime.outages import OutageLog, unreachable
from cc_runtime.postgres import DatabaseUnavailable

FAST = {"quiet_seconds": 0.05, "pending_seconds": 5.0, "probe_interval_seconds": 0.01}


class Collected(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []
        self.closed = asyncio.Event()  # an outage ended, or leader changes were folded

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        if record.name == "cc_runtime.outages" and record.levelno <= logging.WARNING:
            self.closed.set()

    async def until_closed(self) -> None:
        await asyncio.wait_for(self.closed.wait(), 5)

    def lines(self) -> list[tuple[str, str]]:
        return [(r.levelname, r.getMessage()) for r in self.records]


@pytest.fixture
def shown() -> Iterator[Collected]:
    handler = Collected()
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield handler
    root.removeHandler(handler)
    root.setLevel(level)


class Dependency:
    """A probe whose answer the test sets."""

    def __init__(self) -> None:
        self.up = False

    async def answers(self) -> bool:
        return self.up


def kafka_down(n: int) -> None:
    logging.getLogger("aiokafka").error(
        "Unable connect to node with id %s: [Errno 111] Connect call failed", n
    )


async def test_a_kafka_outage_is_one_error_when_it_starts_and_one_warning_when_it_ends(
    shown: Collected,
) -> None:
    kafka = Dependency()
    outages = OutageLog({"kafka": kafka.answers}, **FAST)
    outages.install()
    try:
        for n in range(500):
            kafka_down(n)
        try:
            raise KafkaConnectionError("Connection at 127.0.0.1:9092 closed")
        except KafkaConnectionError:
            logging.getLogger("kpi").exception("handler failed")
        logging.getLogger("kpi").error("a real error, not the outage's")
        kafka.up = True
        await shown.until_closed()
    finally:
        await outages.uninstall()

    assert [line for line in shown.lines() if line[0] != "WARNING"] == [
        ("ERROR", "kafka outage started"),
        ("ERROR", "a real error, not the outage's"),
    ]
    ended = [r for r in shown.records if r.levelname == "WARNING"]
    assert [r.getMessage().split(" after ")[0] for r in ended] == ["kafka outage ended"]
    assert ended[0].folded == 501  # type: ignore[attr-defined]
    assert "Unable connect to node with id 0" in shown.records[0].error  # type: ignore[attr-defined]


async def test_a_database_outage_is_told_by_the_errors_exception_or_its_cause(
    shown: Collected,
) -> None:
    postgres = Dependency()
    outages = OutageLog({"postgresql": postgres.answers}, **FAST)
    outages.install()
    try:
        for _ in range(3):
            try:
                try:
                    raise DatabaseUnavailable("127.0.0.1:5432: connection refused")
                except DatabaseUnavailable as error:
                    raise RuntimeError("checkpoint failed") from error
            except RuntimeError:
                logging.getLogger("proactive_engine.timer").exception("timer round failed")
        postgres.up = True
        await shown.until_closed()
    finally:
        await outages.uninstall()

    assert [m.split(" after ")[0] for _, m in shown.lines()] == [
        "postgresql outage started",
        "postgresql outage ended",
    ]


async def test_leader_changes_alone_are_folded_into_one_info_line(shown: Collected) -> None:
    kafka = Dependency()
    kafka.up = True
    outages = OutageLog({"kafka": kafka.answers}, **FAST)
    outages.install()
    try:
        for _ in range(20):
            logging.getLogger("aiokafka.consumer.fetcher").error(
                "Failed fetch offsets from 1: [Error 6] NotLeaderForPartitionError"
            )
        await shown.until_closed()
    finally:
        await outages.uninstall()

    assert shown.lines() == [("INFO", "kafka: leader or coordinator changes folded")]


async def test_leader_changes_that_last_are_announced_as_an_outage(shown: Collected) -> None:
    kafka = Dependency()
    kafka.up = True
    outages = OutageLog({"kafka": kafka.answers}, **{**FAST, "pending_seconds": 0.3})
    outages.install()
    try:
        for _ in range(60):
            logging.getLogger("aiokafka.consumer.group_coordinator").error(
                "Group Coordinator Request failed: [Error 15] GroupCoordinatorNotAvailableError"
            )
            await asyncio.sleep(0.01)  # lasting longer than the pending time
        await shown.until_closed()
    finally:
        await outages.uninstall()

    assert [m.split(" after ")[0] for _, m in shown.lines()] == [
        "kafka outage started",
        "kafka outage ended",
    ]


async def test_at_debug_level_the_folded_lines_are_shown_too(shown: Collected) -> None:
    logging.getLogger().setLevel(logging.DEBUG)
    outages = OutageLog({}, **FAST)
    outages.install()
    try:
        kafka_down(1)
        kafka_down(2)
    finally:
        await outages.uninstall()

    assert [m for _, m in shown.lines()] == [
        "kafka outage started",
        "Unable connect to node with id 1: [Errno 111] Connect call failed",
        "Unable connect to node with id 2: [Errno 111] Connect call failed",
    ]


def test_which_dependency_an_error_says_is_unreachable() -> None:
    assert unreachable(KafkaConnectionError()) == "kafka"
    assert unreachable(CannotConnectNowError("the database system is starting up")) == "postgresql"
    assert unreachable(NotLeaderForPartitionError()) is None
    assert unreachable(ValueError("bad data")) is None
    assert unreachable(None) is None

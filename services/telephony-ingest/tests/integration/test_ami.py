"""An AMI session against a scripted AMI peer speaking the real protocol over TCP: login,
queue events mapped and published on the real broker, a bad frame dead-lettered, and a dropped
connection re-established with backoff."""

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from cc_runtime import ensure_topics
from cc_testing import Servers, headers_of, read_records
from telephony_ingest.ami import AmiSource, Backoff, manager_config
from telephony_ingest.metrics import IngestMetrics
from telephony_ingest.settings import Settings
from telephony_ingest.sink import KafkaEventSink

pytestmark = pytest.mark.infra

USERNAME, SECRET = "ingest", "ami-secret"

JOIN = {
    "Event": "QueueCallerJoin",
    "Privilege": "agent,all",
    "Channel": "PJSIP/trunk-00000001",
    "CallerIDNum": "0212345678",
    "CallerIDName": "Mario Rossi",
    "Uniqueid": "1710408413.1",
    "Queue": "sales",
    "Position": "1",
    "Count": "1",
}
CONNECT = {
    "Event": "AgentConnect",
    "Uniqueid": "1710408413.1",
    "Queue": "sales",
    "MemberName": "PJSIP/1001",
    "Interface": "PJSIP/1001",
    "HoldTime": "27",
    "RingTime": "5",
    "DestUniqueid": "1710408435.2",
}
NEWCHANNEL = {"Event": "Newchannel", "Channel": "PJSIP/1001-00000002", "Uniqueid": "1710408435.2"}
BROKEN = {"Event": "AgentComplete", "Uniqueid": "1710408413.1", "Queue": "sales"}  # no member
COMPLETE = {
    "Event": "AgentComplete",
    "Uniqueid": "1710408413.1",
    "Queue": "sales",
    "MemberName": "PJSIP/1001",
    "HoldTime": "27",
    "TalkTime": "120",
    "Reason": "caller",
}
PAUSE = {
    "Event": "QueueMemberPause",
    "Queue": "sales",
    "MemberName": "PJSIP/1001",
    "Interface": "PJSIP/1001",
    "Paused": "1",
    "PausedReason": "lunch",
}


def frame(headers: dict[str, str]) -> bytes:
    return "".join(f"{k}: {v}\r\n" for k, v in headers.items()).encode() + b"\r\n"


class ScriptedAmiPeer:
    """An Asterisk manager port: greets, answers Login and Ping, then sends each session's
    scripted events; a session ending with `None` closes the connection."""

    def __init__(self, sessions: list[list[dict[str, str] | None]]) -> None:
        self.sessions = sessions
        self.logins: list[tuple[str, str]] = []
        self.connections = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        script = self.sessions[min(self.connections, len(self.sessions)) - 1]
        writer.write(b"Asterisk Call Manager/5.0.1\r\n")
        try:
            while raw := await reader.readuntil(b"\r\n\r\n"):
                action = dict(line.split(": ", 1) for line in raw.decode().split("\r\n") if line)
                reply = {"Response": "Success", "ActionID": action.get("ActionID", "")}
                if action.get("Action") == "Login":
                    self.logins.append((action["Username"], action["Secret"]))
                    writer.write(frame({**reply, "Message": "Authentication accepted"}))
                    writer.write(frame({"Event": "FullyBooted", "Status": "Fully Booted"}))
                    for event in script:
                        if event is None:
                            writer.close()
                            return
                        writer.write(frame(event))
                else:
                    writer.write(frame({**reply, "Ping": "Pong"}))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()


@pytest.fixture
def settings(service_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Settings:
    for name, value in service_env.items():
        monkeypatch.setenv(name, value)
    return Settings()


@pytest.fixture
async def sink(settings: Settings) -> AsyncIterator[KafkaEventSink]:
    topics = [settings.topic(t) for t in ("call-events", "agent-events", "call-events.dlq")]
    await ensure_topics(settings.kafka_bootstrap_servers, topics, settings.topic_partitions)
    sink = KafkaEventSink(settings, IngestMetrics(CollectorRegistry()))
    await sink.start()
    yield sink
    await sink.stop()


async def run_session(
    peer: ScriptedAmiPeer, sink: KafkaEventSink, settings: Settings, until: Any
) -> AmiSource:
    server = await asyncio.start_server(peer.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    source = AmiSource(
        manager_config("127.0.0.1", port, USERNAME, SECRET),
        Backoff(0.05, 0.5),
        sink,
        IngestMetrics(CollectorRegistry()),
        settings.default_region,
        settings.pbx_id,
    )
    await source.start()
    try:
        await until()
    finally:
        await source.stop()
        server.close()
    return source


async def test_an_ami_session_publishes_queue_events_and_dead_letters_a_bad_frame(
    sink: KafkaEventSink, settings: Settings, servers: Servers
) -> None:
    peer = ScriptedAmiPeer([[JOIN, NEWCHANNEL, CONNECT, BROKEN, COMPLETE, PAUSE]])
    bootstrap = servers.kafka_bootstrap_servers
    found: dict[str, list[Any]] = {}

    async def all_published() -> None:
        found["calls"] = await read_records(
            bootstrap, settings.topic("call-events"), until=lambda r: len(r) >= 3
        )
        found["agents"] = await read_records(
            bootstrap, settings.topic("agent-events"), until=lambda r: len(r) >= 1
        )
        found["dead"] = await read_records(
            bootstrap, settings.topic("call-events.dlq"), until=lambda r: len(r) >= 1
        )

    await run_session(peer, sink, settings, all_published)

    assert peer.logins == [(USERNAME, SECRET)]
    calls = [json.loads(r.value) for r in found["calls"]]
    assert [c["event_type"] for c in calls] == ["call.offered", "call.answered", "call.ended"]
    assert {r.key for r in found["calls"]} == {b"1710408413.1"}
    assert calls[0]["caller"]["e164"] == "+390212345678"
    assert calls[0]["caller"]["name"] == "Mario Rossi"
    assert (calls[1]["wait_seconds"], calls[1]["agent"]) == (27, "PJSIP/1001")
    assert calls[2]["ended_by"] == "caller"
    assert calls[0]["source"] == "asterisk-ami"
    assert json.loads(found["agents"][0].value)["reason"] == "lunch"
    assert headers_of(found["dead"][0])["x-dlq-error-type"] == "missing_agent"
    assert b"AgentComplete" in found["dead"][0].value


async def test_a_dropped_ami_connection_is_re_established_and_events_keep_coming(
    sink: KafkaEventSink, settings: Settings, servers: Servers
) -> None:
    peer = ScriptedAmiPeer([[JOIN, None], [CONNECT, COMPLETE]])
    calls: list[Any] = []

    async def whole_call() -> None:
        calls.extend(
            await read_records(
                servers.kafka_bootstrap_servers,
                settings.topic("call-events"),
                until=lambda r: len(r) >= 3,
            )
        )

    source = await run_session(peer, sink, settings, whole_call)

    assert peer.connections == 2
    assert len(peer.logins) == 2
    assert source.manager.connections == 2
    assert [json.loads(r.value)["event_type"] for r in calls] == [
        "call.offered",
        "call.answered",
        "call.ended",
    ]


def test_the_backoff_doubles_up_to_its_ceiling_and_restarts_after_a_login() -> None:
    backoff = Backoff(1.0, 8.0)

    delays = [backoff.next_delay() for _ in range(6)]
    backoff.reset()

    assert [int(d) for d in delays] == [1, 2, 4, 8, 8, 8]
    assert all(d <= c * 1.1 for d, c in zip(delays, [1, 2, 4, 8, 8, 8], strict=True))
    assert int(backoff.next_delay()) == 1

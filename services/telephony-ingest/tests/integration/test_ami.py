"""An AMI session against a scripted AMI peer speaking the real protocol over TCP: login,
queue events mapped and published on the real broker, a bad frame dead-lettered, a dropped
connection re-established with backoff; Asterisk 11 and 16 frames: distinct ids for repeated
events, one agent identity, callers who leave a queue unanswered closed with call.exited (also
across a reconnect), ignored frames counted."""

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from cc_runtime import ensure_topics
from cc_testing import Servers, headers_of, read_records
from telephony_ingest.agent_identity import AgentIdentities
from telephony_ingest.ami import AmiSource, Backoff, manager_config
from telephony_ingest.metrics import IngestMetrics
from telephony_ingest.settings import Settings
from telephony_ingest.sink import KafkaEventSink

pytestmark = pytest.mark.infra

USERNAME, SECRET = "ingest", "ami-secret"
GRACE_SECONDS = 0.3

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


@dataclass
class Session:
    """One connection's script: events after the login (`None` closes the connection), the
    callers QueueStatus reports waiting, and events sent after the QueueStatus reply."""

    events: list[dict[str, str] | None]
    queued: list[dict[str, str]] = field(default_factory=list)
    after_status: list[dict[str, str] | None] = field(default_factory=list)


class ScriptedAmiPeer:
    """An Asterisk manager port: greets, answers Login, QueueStatus and Ping, and sends each
    session's scripted events."""

    def __init__(self, sessions: list[Session]) -> None:
        self.sessions = sessions
        self.logins: list[tuple[str, str]] = []
        self.connections = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        session = self.sessions[min(self.connections, len(self.sessions)) - 1]
        writer.write(b"Asterisk Call Manager/5.0.1\r\n")
        try:
            while raw := await reader.readuntil(b"\r\n\r\n"):
                action = dict(line.split(": ", 1) for line in raw.decode().split("\r\n") if line)
                reply = {"Response": "Success", "ActionID": action.get("ActionID", "")}
                if action.get("Action") == "Login":
                    self.logins.append((action["Username"], action["Secret"]))
                    writer.write(frame({**reply, "Message": "Authentication accepted"}))
                    writer.write(frame({"Event": "FullyBooted", "Status": "Fully Booted"}))
                    if not self.send(writer, session.events):
                        return
                elif action.get("Action") == "QueueStatus":
                    self.answer_queue_status(writer, reply, session.queued)
                    if not self.send(writer, session.after_status):
                        return
                    session.after_status = []
                else:
                    writer.write(frame({**reply, "Ping": "Pong"}))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    @staticmethod
    def send(writer: asyncio.StreamWriter, events: list[dict[str, str] | None]) -> bool:
        for event in events:
            if event is None:
                writer.close()
                return False
            writer.write(frame(event))
        return True

    @staticmethod
    def answer_queue_status(
        writer: asyncio.StreamWriter, reply: dict[str, str], queued: list[dict[str, str]]
    ) -> None:
        action_id = {"ActionID": reply["ActionID"]}
        writer.write(frame({**reply, "EventList": "start", "Message": "Queue status will follow"}))
        writer.write(frame({"Event": "QueueParams", "Queue": "sales", "Calls": str(len(queued)),
                            **action_id}))  # fmt: skip
        for entry in queued:
            writer.write(frame({"Event": "QueueEntry", **entry, **action_id}))
        writer.write(frame({"Event": "QueueStatusComplete", "EventList": "Complete",
                            "ListItems": str(len(queued) + 1), **action_id}))  # fmt: skip


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
    peer: ScriptedAmiPeer,
    sink: KafkaEventSink,
    settings: Settings,
    until: Any,
    registry: CollectorRegistry | None = None,
) -> AmiSource:
    server = await asyncio.start_server(peer.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    source = AmiSource(
        manager_config("127.0.0.1", port, USERNAME, SECRET),
        Backoff(0.05, 0.5),
        sink,
        IngestMetrics(registry or CollectorRegistry()),
        settings.default_region,
        settings.pbx_id,
        AgentIdentities(settings.agent_aliases),
        leave_grace_seconds=GRACE_SECONDS,
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
    peer = ScriptedAmiPeer([Session([JOIN, NEWCHANNEL, CONNECT, BROKEN, COMPLETE, PAUSE])])
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
    assert (calls[1]["wait_seconds"], calls[1]["agent"]) == (27, "1001")
    assert calls[1]["interface"] == "PJSIP/1001"
    assert calls[2]["ended_by"] == "caller"
    assert calls[0]["source"] == "asterisk-ami"
    assert json.loads(found["agents"][0].value)["reason"] == "lunch"
    assert headers_of(found["dead"][0])["x-dlq-error-type"] == "missing_agent"
    assert b"AgentComplete" in found["dead"][0].value


async def test_a_dropped_ami_connection_is_re_established_and_events_keep_coming(
    sink: KafkaEventSink, settings: Settings, servers: Servers
) -> None:
    peer = ScriptedAmiPeer([Session([JOIN, None]), Session([CONNECT, COMPLETE])])
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


# Asterisk 11 without timestampevents (app_queue.c, 11): a member logged as Local/1127@agents/n.
UNPAUSE_11 = {
    "Event": "QueueMemberPaused",
    "Privilege": "agent,all",
    "Queue": "sales",
    "Location": "Local/1127@agents/n",
    "MemberName": "Local/1127@agents/n",
    "Paused": "0",
}
PAUSE_11 = {**UNPAUSE_11, "Paused": "1", "Reason": "wrapup"}
ADDED_11 = {
    "Event": "QueueMemberAdded",
    "Privilege": "agent,all",
    "Queue": "sales",
    "Location": "Local/1127@agents/n",
    "MemberName": "Local/1127@agents/n",
    "StateInterface": "SIP/1127",
    "Membership": "dynamic",
    "Penalty": "0",
    "CallsTaken": "0",
    "LastCall": "0",
    "Status": "1",
    "Paused": "0",
}


def snapshot_16(call_id: str) -> dict[str, str]:
    """The caller's channel snapshot every Asterisk 12+ queue event carries."""
    return {
        "Channel": f"PJSIP/trunk-{call_id[-2:]:0>8}",
        "ChannelState": "6",
        "ChannelStateDesc": "Up",
        "CallerIDNum": "0212345678",
        "CallerIDName": "<unknown>",
        "Context": "from-trunk",
        "Exten": "800",
        "Priority": "3",
        "Uniqueid": call_id,
        "Linkedid": call_id,
    }


def call_16(call_id: str, event: str, at: float, **fields: str) -> dict[str, str]:
    """An Asterisk 16 queue event with timestampevents=yes."""
    head = {"Event": event, "Privilege": "agent,all", "Timestamp": f"{at:.6f}"}
    return {**head, **snapshot_16(call_id), "Queue": "sales", **fields}


T0 = 1710408413.0
ANSWERED, ABANDONED, KEYED = "1710408413.11", "1710408413.12", "1710408413.13"
TIMED_OUT = "1710408413.14"
ANSWERED_CALL = [
    call_16(ANSWERED, "QueueCallerJoin", T0, Position="1", Count="1"),
    call_16(ANSWERED, "QueueCallerLeave", T0 + 20, Position="1", Count="0"),
    call_16(ANSWERED, "AgentConnect", T0 + 20.4, Interface="PJSIP/1127", MemberName="PJSIP/1127",
            HoldTime="20", RingTime="4", DestUniqueid="1710408429.14"),
    call_16(ANSWERED, "AgentComplete", T0 + 80, Interface="PJSIP/1127", MemberName="PJSIP/1127",
            HoldTime="20", TalkTime="60", Reason="caller", DestUniqueid="1710408429.14"),
]  # fmt: skip
ABANDONED_CALL = [
    call_16(ABANDONED, "QueueCallerJoin", T0 + 1, Position="1", Count="1"),
    {"Event": "HangupRequest", "Privilege": "call,all", "Timestamp": f"{T0 + 31:.6f}",
     **snapshot_16(ABANDONED), "Cause": "16"},
    call_16(ABANDONED, "QueueCallerAbandon", T0 + 31, Position="1", OriginalPosition="1",
            HoldTime="30"),
    call_16(ABANDONED, "QueueCallerLeave", T0 + 31, Position="1", Count="0"),
]  # fmt: skip
TIMED_OUT_CALL = [
    call_16(TIMED_OUT, "QueueCallerJoin", T0 + 3, Position="3", Count="3"),
    call_16(TIMED_OUT, "QueueCallerAbandon", T0 + 63, Position="1", OriginalPosition="3",
            HoldTime="60"),
    call_16(TIMED_OUT, "QueueCallerLeave", T0 + 63, Position="1", Count="0"),
    {"Event": "VarSet", "Privilege": "dialplan,all", "Timestamp": f"{T0 + 63:.6f}",
     **snapshot_16(TIMED_OUT), "Variable": "QUEUESTATUS", "Value": "TIMEOUT"},
]  # fmt: skip
KEYED_CALL = [
    call_16(KEYED, "QueueCallerJoin", T0 + 2, Position="2", Count="2"),
    {"Event": "DTMFEnd", "Privilege": "dtmf,all", "Timestamp": f"{T0 + 44.4:.6f}",
     **snapshot_16(KEYED), "Digit": "1", "DurationMs": "120", "Direction": "Received"},
    call_16(KEYED, "QueueCallerLeave", T0 + 44.5, Position="1", Count="0"),
]  # fmt: skip


def by_call(records: list[Any]) -> dict[str, list[dict[str, Any]]]:
    calls: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        event = json.loads(record.value)
        calls.setdefault(event["call_id"], []).append(event)
    return calls


async def test_two_genuine_unpauses_without_timestamps_are_published_with_two_ids(
    sink: KafkaEventSink, settings: Settings, servers: Servers
) -> None:
    peer = ScriptedAmiPeer([Session([PAUSE_11, UNPAUSE_11, PAUSE_11, UNPAUSE_11])])
    found: list[Any] = []

    async def all_published() -> None:
        found.extend(
            await read_records(
                servers.kafka_bootstrap_servers,
                settings.topic("agent-events"),
                until=lambda r: len(r) >= 4,
            )
        )

    await run_session(peer, sink, settings, all_published)

    events = [json.loads(r.value) for r in found]
    assert [e["event_type"] for e in events] == ["agent.paused", "agent.unpaused"] * 2
    assert len({e["event_id"] for e in events}) == 4


async def test_asterisk_11_members_are_published_under_their_identity_and_location(
    sink: KafkaEventSink, settings: Settings, servers: Servers
) -> None:
    peer = ScriptedAmiPeer([Session([ADDED_11, PAUSE_11])])
    found: list[Any] = []

    async def all_published() -> None:
        found.extend(
            await read_records(
                servers.kafka_bootstrap_servers,
                settings.topic("agent-events"),
                until=lambda r: len(r) >= 2,
            )
        )

    await run_session(peer, sink, settings, all_published)

    events = [json.loads(r.value) for r in found]
    assert [(r.key, e["event_type"]) for r, e in zip(found, events, strict=True)] == [
        (b"1127", "agent.logged_in"),
        (b"1127", "agent.paused"),
    ]
    assert [(e["agent_id"], e["interface"]) for e in events] == [
        ("1127", "Local/1127@agents/n")
    ] * 2


async def test_a_caller_who_leaves_the_queue_unanswered_is_closed_with_call_exited(
    sink: KafkaEventSink, settings: Settings, servers: Servers
) -> None:
    """A caller who leaves by a key, and one the queue times out (Asterisk sends an abandon
    for it, then QUEUESTATUS), exit; an answered and an abandoned call do not."""
    # Interleaved as a PBX sends them: the answered call's Leave comes before its AgentConnect.
    script = [
        *[*KEYED_CALL[:1], *ABANDONED_CALL[:1], *TIMED_OUT_CALL[:1], *ANSWERED_CALL[:2]],
        *[*KEYED_CALL[1:], *ANSWERED_CALL[2:], *ABANDONED_CALL[1:], *TIMED_OUT_CALL[1:]],
    ]
    peer = ScriptedAmiPeer([Session(script)])
    found: list[Any] = []

    async def exited() -> None:
        found.extend(
            await read_records(
                servers.kafka_bootstrap_servers,
                settings.topic("call-events"),
                until=lambda r: sum(b"call.exited" in x.value for x in r) >= 2,
            )
        )

    await run_session(peer, sink, settings, exited)

    calls = by_call(found)
    assert [e["event_type"] for e in calls[ANSWERED]] == [
        "call.offered", "call.answered", "call.ended"
    ]  # fmt: skip
    assert [e["event_type"] for e in calls[ABANDONED]] == ["call.offered", "call.abandoned"]
    assert [e["event_type"] for e in calls[KEYED]] == ["call.offered", "call.exited"]
    exit_ = calls[KEYED][1]
    assert (exit_["reason"], exit_["key"], exit_["queue"]) == ("key", "1", "sales")
    assert (exit_["wait_seconds"], exit_["position"], exit_["original_position"]) == (42.5, 1, 2)
    assert exit_["occurred_at"].startswith("2024-03-14T09:27:37.5")
    assert [e["event_type"] for e in calls[TIMED_OUT]] == ["call.offered", "call.exited"]
    timed_out = calls[TIMED_OUT][1]
    assert (timed_out["reason"], timed_out["wait_seconds"], timed_out["position"]) == (
        "timeout",
        60,
        1,
    )
    # Everything the adapter decided is published once it stopped: two exits, one abandon.
    published = sink.metrics.events.labels
    assert published("ami", "call.exited")._value.get() == 2
    assert published("ami", "call.abandoned")._value.get() == 1


def by_key(record: tuple[bytes | None, str]) -> bytes:
    return record[0] or b""


async def test_a_leave_with_a_control_character_is_dead_lettered_and_later_exits_still_close(
    sink: KafkaEventSink, settings: Settings, servers: Servers
) -> None:
    """The Leave's queue never becomes a call.exited: made later, in the loop that closes the
    calls in queue, it failed its contract there, and that loop stopped for every later call."""
    bad_leave = {**KEYED_CALL[2], "Uniqueid": ABANDONED, "Queue": "s\x00les"}
    script = [ABANDONED_CALL[0], bad_leave, *KEYED_CALL]
    peer = ScriptedAmiPeer([Session(script)])
    found: list[Any] = []

    async def keyed_exit_and_dead_letter() -> None:
        found.extend(
            await read_records(
                servers.kafka_bootstrap_servers,
                settings.topic("call-events"),
                until=lambda r: any(b"call.exited" in x.value for x in r),
            )
        )
        found.extend(
            await read_records(
                servers.kafka_bootstrap_servers,
                settings.topic("call-events.dlq"),
                until=lambda r: len(r) >= 1,
            )
        )

    await run_session(peer, sink, settings, keyed_exit_and_dead_letter)

    [*calls, dead] = found
    # Each call's events in order; the two calls' keys may sit on different partitions, read in
    # either order (a stable sort by key keeps each call's own order).
    assert sorted(((r.key, json.loads(r.value)["event_type"]) for r in calls), key=by_key) == [
        (ABANDONED.encode(), "call.offered"),
        (KEYED.encode(), "call.offered"),
        (KEYED.encode(), "call.exited"),
    ]
    assert (dead.key, headers_of(dead)["x-dlq-error-type"]) == (
        ABANDONED.encode(),
        "control_character",
    )
    assert b"Queue: s\x00les" in dead.value


async def test_calls_in_queue_are_resynced_from_queue_status_after_a_reconnect(
    sink: KafkaEventSink, settings: Settings, servers: Servers
) -> None:
    """Call A joined before the drop and leaves after; B ended while we were away; C joined
    while we were away and the PBX reports it waiting for 34 s."""
    a, b, c = "1710408413.21", "1710408413.22", "1710408413.23"
    join_a = call_16(a, "QueueCallerJoin", T0, Position="1", Count="1")
    join_b = call_16(b, "QueueCallerJoin", T0 + 1, Position="2", Count="2")
    leave_a = call_16(a, "QueueCallerLeave", T0 + 70, Position="1", Count="1")
    leave_c = {k: v for k, v in call_16(c, "QueueCallerLeave", 0, Position="1").items()
               if k != "Timestamp"}  # fmt: skip
    entries = [
        {"Queue": "sales", "Position": "1", "Channel": "PJSIP/trunk-00000021", "Uniqueid": a,
         "CallerIDNum": "0212345678", "Wait": "60", "Priority": "0"},
        {"Queue": "sales", "Position": "2", "Channel": "PJSIP/trunk-00000023", "Uniqueid": c,
         "CallerIDNum": "0287654321", "Wait": "34", "Priority": "0"},
    ]  # fmt: skip
    peer = ScriptedAmiPeer(
        [
            Session([join_a, join_b, None]),
            Session([], queued=entries, after_status=[leave_a, leave_c]),
        ]
    )
    found: list[Any] = []

    async def both_exited() -> None:
        found.extend(
            await read_records(
                servers.kafka_bootstrap_servers,
                settings.topic("call-events"),
                until=lambda r: sum(b"call.exited" in x.value for x in r) >= 2,
            )
        )

    source = await run_session(peer, sink, settings, both_exited)

    assert peer.connections == 2
    calls = by_call(found)
    assert [e["event_type"] for e in calls[a]] == ["call.offered", "call.exited"]
    assert [e["event_type"] for e in calls[b]] == ["call.offered"]
    assert [e["event_type"] for e in calls[c]] == ["call.exited"]
    assert calls[a][1]["wait_seconds"] == 70  # from the Join seen before the drop
    assert 34 <= calls[c][0]["wait_seconds"] < 40  # from the QueueEntry's Wait
    assert source.calls.waiting == {}


async def test_ignored_ami_frames_are_counted_by_event_name(
    sink: KafkaEventSink, settings: Settings, servers: Servers
) -> None:
    registry = CollectorRegistry()
    var_set = {"Event": "VarSet", "Channel": "PJSIP/trunk-00000001", "Variable": "DIALSTATUS",
               "Value": "ANSWER", "Uniqueid": "1710408413.1"}  # fmt: skip
    custom = {"Event": "MyDialerProgress", "Campaign": "x"}
    peer = ScriptedAmiPeer([Session([NEWCHANNEL, var_set, custom, var_set, JOIN])])

    async def joined() -> None:
        await read_records(
            servers.kafka_bootstrap_servers,
            settings.topic("call-events"),
            until=lambda r: len(r) >= 1,
        )

    await run_session(peer, sink, settings, joined, registry)

    def ignored(kind: str) -> float | None:
        labels = {"source": "ami", "kind": kind}
        return registry.get_sample_value("telephony_ingest_ignored_total", labels)

    counts = {kind: ignored(kind) for kind in ("FullyBooted", "Newchannel", "VarSet", "other")}
    assert counts == {"FullyBooted": 1, "Newchannel": 1, "VarSet": 2, "other": 1}

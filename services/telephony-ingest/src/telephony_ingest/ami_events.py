"""AMI queue events (one frame's `Key: Value` headers) -> call and agent lifecycle events.
Pure: no I/O. Outcomes as the queue_log parser's (Mapped, Ignored, Rejected), plus `Left`,
`KeyPressed`, `HungUp` and `QueueResult`, the facts that `ami_calls` needs to tell how a call
left its queue.

Names as Asterisk 12+ sends them (QueueCallerJoin, QueueCallerLeave, AgentConnect, ...) and the
older 1.8 / 11 ones (Join, Leave, QueueMemberPaused), with each version's fields: 1.8 / 11 name
a member's interface `Location` (member events) or `Member` (call events), 12+ `Interface`.
Agents are named by their identity (`agent_identity`), the interface as logged kept apart.

Event ids. AMI has no redelivery: Asterisk writes each event once to each connected session and
never resends what a session missed. What an id must tell apart is two genuine events that
look alike (one member unpaused twice), and what it must keep equal is one event seen twice
(two adapters on one PBX, or one event published again). So an id is made of what the event
is about (event name, uniqueid, queue, member) and when the PBX raised it: the frame's
`Timestamp` (manager.conf `timestampevents=yes`; computed once per event, the same on every
session and across reconnects) with its `SequenceNumber` when `debug=on` adds one. A frame
without a Timestamp is named by where and when we received it (the connection and the frame's
place in it): unique, but two adapters on one PBX then give one event two ids.
`SequenceNumber` alone is not trusted: Asterisk restarts it at 0 with the process.
"""

import itertools
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pydantic import ValidationError

from cc_schemas import (
    AgentLoggedIn,
    AgentLoggedOut,
    AgentPaused,
    AgentUnpaused,
    CallAbandoned,
    CallAnswered,
    CallEnded,
    CallOffered,
    CallRinging,
    CallRingNoAnswer,
    EndedBy,
    Event,
    make_event_id,
)
from telephony_ingest.agent_identity import AgentIdentities
from telephony_ingest.phone import normalise_caller
from telephony_ingest.queue_log import (
    CONTROL_CHARACTER,
    END_OF_DATETIME,
    Ignored,
    LineError,
    Mapped,
    Rejected,
    RejectReason,
)

SOURCE = "asterisk-ami"
ENDED_BY = {"caller": EndedBy.CALLER, "agent": EndedBy.AGENT, "transfer": EndedBy.TRANSFER}
# Where each Asterisk version names the member: its membername first (as queue_log's agent
# field does), then the interface (12+ `Interface`, 1.8 / 11 `Location` / `Member` /
# `AgentCalled`), the device-state interface last.
MEMBER_NAMES = ("MemberName", "AgentName", "Interface", "Location", "Member", "AgentCalled",
                "StateInterface")  # fmt: skip
INTERFACES = ("Interface", "Location", "Member", "AgentCalled")
# The headers naming a call, a queue, a member or a key: a control character in one rejects the
# frame here, as in a queue_log line. A Leave or a DTMF digit is not an event yet: the call.exited
# made of it later would fail its contract in the loop that closes the calls in queue.
IDENTIFIERS = ("Uniqueid", "DestUniqueid", "Queue", "Digit", *MEMBER_NAMES)
_NO_IDENTITIES = AgentIdentities()


@dataclass(frozen=True, slots=True)
class Receipt:
    """Where and when the adapter received a frame: names a frame that has no Timestamp."""

    at: float  # Unix time of receipt
    connection: str  # one AMI session of this adapter
    sequence: int  # the frame's place in that session


_UNCONNECTED = itertools.count()


def receipt_now() -> Receipt:
    return Receipt(time.time(), "unconnected", next(_UNCONNECTED))


@dataclass(frozen=True, slots=True)
class Left:
    """A caller left a queue (Leave / QueueCallerLeave). Asterisk sends it before AgentConnect
    when the call is answered and after QueueCallerAbandon when it is abandoned; a Leave with
    neither is a call that exited the queue, which `ami_calls` decides."""

    call_id: str
    queue: str
    position: int
    at: datetime
    event_id: str  # for the call.exited it may become
    frame: str = field(repr=False)  # as received, for a dead letter


@dataclass(frozen=True, slots=True)
class KeyPressed:
    """The caller sent a DTMF digit (DTMF / DTMFEnd, received): why a caller may leave a queue."""

    call_id: str
    digit: str


@dataclass(frozen=True, slots=True)
class HungUp:
    """A channel hung up or was asked to (Hangup, HangupRequest, SoftHangupRequest): the
    caller's own hang-up is what tells an abandon from the queue giving up."""

    call_id: str


@dataclass(frozen=True, slots=True)
class QueueResult:
    """app_queue set QUEUESTATUS on the caller's channel (VarSet), after its Leave: TIMEOUT,
    LEAVEEMPTY, LEAVEUNAVAIL, WITHDRAW when the queue, not the caller, ended the wait."""

    call_id: str
    status: str


AmiOutcome = Mapped | Ignored | Rejected | Left | KeyPressed | HungUp | QueueResult


class Frame:
    """One AMI event's headers, case-insensitive as the protocol is."""

    def __init__(
        self,
        headers: Mapping[str, object],
        region: str,
        pbx_id: str,
        identities: AgentIdentities,
        receipt: Receipt,
    ) -> None:
        self.original = headers
        self.headers = {str(k).lower(): str(v) for k, v in headers.items()}
        self.name = self.headers.get("event", "").strip()
        self.region = region
        self.pbx_id = pbx_id
        self.identities = identities
        self.receipt = receipt

    def get(self, key: str) -> str:
        return self.headers.get(key.lower(), "").strip()

    def first(self, keys: tuple[str, ...]) -> str:
        return next((value for key in keys if (value := self.get(key))), "")

    def required(self, key: str, reason: RejectReason = RejectReason.BAD_FIELD) -> str:
        value = self.get(key)
        if not value:
            raise LineError(reason, f"{self.name} has no {key}")
        return value

    def number(self, key: str, scale: float = 1.0) -> float:
        text = self.required(key)
        try:
            return float(text) / scale
        except ValueError:
            raise LineError(RejectReason.BAD_FIELD, f"{self.name} {key} {text[:40]!r}") from None

    def position(self, key: str) -> int | None:
        text = self.get(key)
        return int(text) if text.isascii() and text.isdecimal() and int(text) > 0 else None

    def member_name(self) -> str:
        name = self.first(MEMBER_NAMES)
        if not name:
            raise LineError(RejectReason.MISSING_AGENT, f"{self.name} names no member")
        return name

    def agent(self) -> str:
        return self.identities.identity(self.member_name())

    def interface(self) -> str | None:
        return self.first(INTERFACES) or None

    def pbx_time(self) -> float | None:
        try:
            seconds = float(self.get("Timestamp"))
        except ValueError:
            return None
        return seconds if 0 < seconds < END_OF_DATETIME else None

    def event_id(self) -> str:
        stamp = self.pbx_time()
        if stamp is None:
            when: tuple[object, ...] = ("received", self.receipt.connection, self.receipt.sequence)
        else:
            when = ("raised", self.get("Timestamp"), self.get("SequenceNumber"))
        about = (
            self.name.lower(),
            self.get("Uniqueid"),
            self.get("Queue"),
            self.first(MEMBER_NAMES),
        )
        return make_event_id(SOURCE, self.pbx_id, *about, *when)

    def occurred_at(self) -> datetime:
        stamp = self.pbx_time()
        return datetime.fromtimestamp(self.receipt.at if stamp is None else stamp, UTC)

    def common(self) -> dict[str, object]:
        return {"event_id": self.event_id(), "occurred_at": self.occurred_at(), "source": SOURCE}

    def call(self) -> dict[str, object]:
        call_id = self.required("Uniqueid", RejectReason.MISSING_CALL_ID)
        return {**self.common(), "call_id": call_id, "queue": self.get("Queue") or None}

    def agent_call(self) -> dict[str, object]:
        return {**self.call(), "agent": self.agent(), "interface": self.interface()}

    def raw(self) -> str:
        return frame_text(self.original)


def frame_text(headers: Mapping[str, object]) -> str:
    """A frame's headers as received (`Key: Value` lines), for a dead letter."""
    return "".join(f"{k}: {v}\r\n" for k, v in headers.items())


def map_frame(
    headers: Mapping[str, object],
    *,
    region: str = "IT",
    pbx_id: str = "pbx",
    identities: AgentIdentities = _NO_IDENTITIES,
    receipt: Receipt | None = None,
) -> AmiOutcome:
    """The outcome of one AMI event frame; never raises."""
    frame = Frame(headers, region, pbx_id, identities, receipt or receipt_now())
    mapper = MAPPERS.get(frame.name.lower())
    if mapper is None:
        return Ignored(frame.name or "no-event-name")
    if named := [key for key in IDENTIFIERS if CONTROL_CHARACTER.search(frame.get(key))]:
        detail = f"control character in {frame.name} {'/'.join(named)}"
        return Rejected(RejectReason.CONTROL_CHARACTER, detail)
    try:
        outcome = mapper(frame)
        return Mapped(outcome) if isinstance(outcome, Event) else outcome
    except LineError as error:
        return Rejected(error.reason, str(error))
    except UnicodeError as error:  # a lone surrogate cannot be hashed into an id nor published
        return Rejected(RejectReason.BAD_FIELD, f"{frame.name} is not valid text: {error}"[:500])
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        return Rejected(RejectReason.INVALID_EVENT, f"{where}: {first['msg']}"[:500])


def caller_join(frame: Frame) -> Event:
    return CallOffered(
        **frame.call(),
        caller=normalise_caller(
            frame.get("CallerIDNum"), frame.region, _named(frame.get("CallerIDName"))
        ),
        position=frame.position("Position"),
    )


def caller_leave(frame: Frame) -> Left:
    call_id = frame.required("Uniqueid", RejectReason.MISSING_CALL_ID)
    queue = frame.required("Queue", RejectReason.MISSING_QUEUE)
    position = frame.position("Position")
    if position is None:
        raise LineError(RejectReason.BAD_FIELD, f"{frame.name} has no valid Position")
    return Left(call_id, queue, position, frame.occurred_at(), frame.event_id(), frame.raw())


def key_pressed(frame: Frame) -> KeyPressed | Ignored:
    # 1.8 / 11 send one DTMF event at the digit's begin and one at its end; 12+ DTMFBegin and
    # DTMFEnd. A digit counts once, at its end, and only as the caller sent it.
    ended = frame.name.lower() == "dtmfend" or frame.get("End").lower() == "yes"
    received = frame.get("Direction").lower() == "received"
    if not (ended and received and frame.get("Digit") and frame.get("Uniqueid")):
        return Ignored(frame.name)
    return KeyPressed(frame.get("Uniqueid"), frame.get("Digit"))


def hung_up(frame: Frame) -> HungUp | Ignored:
    call_id = frame.get("Uniqueid")
    return HungUp(call_id) if call_id else Ignored(frame.name)


def variable_set(frame: Frame) -> QueueResult | Ignored:
    call_id, value = frame.get("Uniqueid"), frame.get("Value").upper()
    if frame.get("Variable").upper() != "QUEUESTATUS" or not (call_id and value):
        return Ignored(frame.name)
    return QueueResult(call_id, value)


def agent_called(frame: Frame) -> Event:
    return CallRinging(**frame.agent_call())


def agent_connect(frame: Frame) -> Event:
    return CallAnswered(
        **frame.agent_call(),
        wait_seconds=frame.number("HoldTime"),
        ring_seconds=frame.number("RingTime") if frame.get("RingTime") else None,
        # 12+ name the agent's channel with a Dest prefix; 1.8 / 11 call it BridgedChannel.
        agent_call_id=frame.first(("DestUniqueid", "BridgedChannel")) or None,
    )


def agent_complete(frame: Frame) -> Event:
    return CallEnded(
        **frame.agent_call(),
        wait_seconds=frame.number("HoldTime"),
        talk_seconds=frame.number("TalkTime"),
        ended_by=ENDED_BY.get(frame.get("Reason").lower(), EndedBy.UNKNOWN),
    )


def caller_abandon(frame: Frame) -> Event:
    position = frame.position("Position")
    if position is None:
        raise LineError(RejectReason.BAD_FIELD, f"{frame.name} has no valid Position")
    return CallAbandoned(
        **frame.call(),
        position=position,
        original_position=frame.position("OriginalPosition"),
        wait_seconds=frame.number("HoldTime"),
    )


def ring_no_answer(frame: Frame) -> Event:
    # RingTime in milliseconds, as queue_log's RINGNOANSWER.
    return CallRingNoAnswer(**frame.agent_call(), ring_seconds=frame.number("RingTime", 1000.0))


def member(frame: Frame) -> dict[str, object]:
    return {
        **frame.common(),
        "agent_id": frame.agent(),
        "queue": frame.get("Queue") or None,
        "interface": frame.interface(),
    }


def member_pause(frame: Frame) -> Event:
    if frame.get("Paused") == "0":
        return AgentUnpaused(**member(frame))
    reason = frame.get("PausedReason") or frame.get("Reason") or None
    return AgentPaused(**member(frame), reason=reason)


def member_added(frame: Frame) -> Event:
    return AgentLoggedIn(**member(frame))


def member_removed(frame: Frame) -> Event:
    return AgentLoggedOut(**member(frame))


def _named(value: str) -> str | None:
    return None if value in {"", "<unknown>", "unknown"} else value


MAPPERS: dict[str, Callable[[Frame], Event | AmiOutcome]] = {
    "queuecallerjoin": caller_join,
    "join": caller_join,
    "queuecallerleave": caller_leave,
    "leave": caller_leave,
    "dtmf": key_pressed,
    "dtmfend": key_pressed,
    "hangup": hung_up,
    "hanguprequest": hung_up,
    "softhanguprequest": hung_up,
    "varset": variable_set,
    "agentcalled": agent_called,
    "agentconnect": agent_connect,
    "agentcomplete": agent_complete,
    "queuecallerabandon": caller_abandon,
    "agentringnoanswer": ring_no_answer,
    "queuememberpause": member_pause,
    "queuememberpaused": member_pause,
    "queuememberadded": member_added,
    "queuememberremoved": member_removed,
}

# AMI events a PBX sends that carry no queue lifecycle fact: counted by name when ignored.
# Anything else is counted as `other`, so that the metric's labels stay few.
KNOWN_IGNORED = frozenset(
    {"AgentDump", "AgentLogin", "AgentLogoff", "Agents", "AgentsComplete", "AsyncAGI",
     "AsyncAGIEnd", "AsyncAGIExec", "AsyncAGIStart", "AttendedTransfer", "BlindTransfer",
     "Bridge", "BridgeCreate", "BridgeDestroy", "BridgeEnter", "BridgeLeave", "BridgeMerge",
     "Cdr", "CEL", "ChallengeSent", "ChanSpyStart", "ChanSpyStop", "ContactStatus",
     "CoreShowChannel", "DeviceStateChange", "Dial", "DialBegin", "DialEnd", "DialState", "DTMF",
     "DTMFBegin", "DTMFEnd", "ExtensionStatus", "FullyBooted", "Hangup", "HangupHandlerPop",
     "HangupHandlerPush", "HangupHandlerRun", "HangupRequest", "Hold", "InvalidAccountID",
     "InvalidPassword", "Link", "LocalBridge", "LocalOptimizationBegin",
     "LocalOptimizationEnd", "Masquerade", "MusicOnHold", "MusicOnHoldStart",
     "MusicOnHoldStop", "NewAccountCode", "NewCallerid", "Newchannel", "NewConnectedLine",
     "Newexten", "Newstate", "PeerStatus", "QueueEntry", "QueueMember", "QueueMemberPenalty",
     "QueueMemberRinginuse", "QueueMemberStatus", "QueueParams", "QueueStatusComplete",
     "Registry", "Reload", "Rename", "RTCPReceived", "RTCPSent", "Shutdown", "SoftHangupRequest",
     "SuccessfulAuth", "Transfer", "Unhold", "Unlink", "UserEvent", "VarSet"}
)  # fmt: skip
_KNOWN_BY_LOWER = {name.lower(): name for name in KNOWN_IGNORED}


def ignored_kind(name: str) -> str:
    """The label an ignored frame is counted under: its event name if known, else `other`."""
    return _KNOWN_BY_LOWER.get(name.strip().lower(), "other")

"""AMI queue events (one frame's `Key: Value` headers) -> call and agent lifecycle events.
Pure: no I/O. Same outcomes as the queue_log parser: Mapped, Ignored, Rejected.

Names as Asterisk 12+ sends them (QueueCallerJoin, AgentConnect, ...) and the older 1.8 / 11
ones (Join, Leave). Frames that are not queue events (Newchannel, Hangup, ...) are ignored;
a queue event whose fields cannot be mapped is rejected with a reason. The event id is derived
from the whole frame, so the same frame always gets the same id.
"""

import time
from collections.abc import Callable, Mapping
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
from telephony_ingest.phone import normalise_caller
from telephony_ingest.queue_log import Ignored, LineError, Mapped, Outcome, Rejected, RejectReason

SOURCE = "asterisk-ami"
ENDED_BY = {"caller": EndedBy.CALLER, "agent": EndedBy.AGENT, "transfer": EndedBy.TRANSFER}


class Frame:
    """One AMI event's headers, case-insensitive as the protocol is."""

    def __init__(self, headers: Mapping[str, str], region: str, pbx_id: str) -> None:
        self.headers = {k.lower(): str(v) for k, v in headers.items()}
        self.name = self.headers.get("event", "")
        self.region = region
        self.pbx_id = pbx_id

    def get(self, key: str) -> str:
        return self.headers.get(key.lower(), "").strip()

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

    def member(self) -> str:
        for key in ("MemberName", "Interface", "AgentName", "Member"):
            if self.get(key):
                return self.get(key)
        raise LineError(RejectReason.MISSING_AGENT, f"{self.name} names no member")

    def common(self) -> dict[str, object]:
        canonical = "\x1e".join(f"{k}={v}" for k, v in sorted(self.headers.items()))
        return {
            "event_id": make_event_id(SOURCE, self.pbx_id, canonical),
            "occurred_at": self.occurred_at(),
            "source": SOURCE,
        }

    def occurred_at(self) -> datetime:
        # `Timestamp` is sent with timestampevents=yes in manager.conf; else the time received.
        try:
            return datetime.fromtimestamp(float(self.get("Timestamp")), UTC)
        except (ValueError, OverflowError, OSError):
            return datetime.fromtimestamp(time.time(), UTC)

    def call(self) -> dict[str, object]:
        call_id = self.required("Uniqueid", RejectReason.MISSING_CALL_ID)
        return {**self.common(), "call_id": call_id, "queue": self.get("Queue") or None}


def map_frame(headers: Mapping[str, str], *, region: str = "IT", pbx_id: str = "pbx") -> Outcome:
    """The outcome of one AMI event frame; never raises."""
    frame = Frame(headers, region, pbx_id)
    mapper = MAPPERS.get(frame.name.lower())
    if mapper is None:
        return Ignored(frame.name or "no-event-name")
    try:
        return Mapped(mapper(frame))
    except LineError as error:
        return Rejected(error.reason, str(error))
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


def agent_called(frame: Frame) -> Event:
    return CallRinging(**frame.call(), agent=frame.member())


def agent_connect(frame: Frame) -> Event:
    return CallAnswered(
        **frame.call(),
        agent=frame.member(),
        wait_seconds=frame.number("HoldTime"),
        ring_seconds=frame.number("RingTime") if frame.get("RingTime") else None,
        agent_call_id=frame.get("DestUniqueid") or None,
    )


def agent_complete(frame: Frame) -> Event:
    return CallEnded(
        **frame.call(),
        agent=frame.member(),
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
    return CallRingNoAnswer(
        **frame.call(), agent=frame.member(), ring_seconds=frame.number("RingTime", 1000.0)
    )


def member(frame: Frame) -> dict[str, object]:
    interface = frame.get("Interface") or frame.get("StateInterface") or None
    return {
        **frame.common(),
        "agent_id": frame.member(),
        "queue": frame.get("Queue") or None,
        "interface": interface,
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


MAPPERS: dict[str, Callable[[Frame], Event]] = {
    "queuecallerjoin": caller_join,
    "join": caller_join,
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

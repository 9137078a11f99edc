"""Asterisk `queue_log` lines -> call and agent lifecycle events. Pure: no I/O.

A line is `epoch|uniqueid|queue|agent|VERB|data1|data2|...` (REFERENCE.md, Asterisk's
Queue-Logs page). Every line gives exactly one outcome: `Mapped` (one event), `Ignored` (a
known verb that carries no lifecycle fact, such as QUEUESTART), `Unknown` (a verb we have no
mapping for: counted by the caller, not an error of the line) or `Rejected` (with a reason);
the parser never raises, whatever the line.

Each mapped verb has a `Layout`: how many data fields it carries and the format of each
(`LAYOUTS`). A line whose fields do not match is rejected, not published: a line cut short
(a truncated file, a disk full) would otherwise become an event with wrong data (a caller
`021234`, an `agent_call_id` cut in half). Layouts are those Asterisk >= 1.6 writes; fields
past a layout's last one must be empty (exports of the realtime `queue_log` table pad to
data5).

Outbound verbs. Asterisk's own is `OUTCALL|status|talktime|totaltime|callednumber`, written by
app_queue's QueueUpdate() (Asterisk >= 15; apps/app_queue.c `qupd_exec`, status being the
dialplan's DIALSTATUS). Dialler and call-back setups write one verb per dial status instead
(OUTDIAL, OUTANSWER, OUTCANCEL, OUTCHANUNAVAIL, OUTCONGESTION, OUTBUSY, OUTNOANSWER,
OUTTRANSFER) with QueueLog() from their dialplan; no public specification of these was found
(Asterisk's docs, app_queue, Wazo's and QueueMetrics' pages searched), so the layout read here
follows OUTCALL's and the real export they came from: data1 the number dialled, then for
OUTDIAL the campaign, for the answer and the failures the seconds dialled, for OUTTRANSFER the
transfer target and the talk time. Every data field after the number is optional.

Agents: `agent` / `agent_id` carry the agent's identity (`AgentIdentities`: `Agent/1127` and
`Local/1127@callback-agent` are both `1127`), `interface` the agent column as logged.

Event ids are derived from the line itself (with the PBX's id: the line carries the epoch,
uniqueid, verb and data), not from the file it was read from: the same line imported twice,
from the live file or from its rotated copy, gets the same id, and consumers deduplicate on
`event_id`.
"""

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

from pydantic import ValidationError

from cc_schemas import (
    AgentLoggedIn,
    AgentLoggedOut,
    AgentPaused,
    AgentUnpaused,
    CallAbandoned,
    CallAnswered,
    CallEnded,
    CallExited,
    CallOffered,
    CallOutboundAnswered,
    CallOutboundDialled,
    CallOutboundEnded,
    CallRingNoAnswer,
    CallTransferred,
    EndedBy,
    Event,
    ExitReason,
    OutboundOutcome,
    TransferKind,
)
from cc_schemas.envelope import EVENT_ID_NAMESPACE
from telephony_ingest.agent_identity import AgentIdentities
from telephony_ingest.phone import normalise_caller

SOURCE = "asterisk-queue-log"
_NAMESPACE = EVENT_ID_NAMESPACE.bytes
NONE_WORDS = frozenset({"", "NONE"})
# uniqueids that name no call: lines about queues and members, or written by an operator.
NO_CALL_IDS = frozenset({"", "NONE", "REALTIME", "MANAGER"})
# Known verbs that say nothing about a call's or an agent's lifecycle.
IGNORED_VERBS = frozenset(
    {"QUEUESTART", "CONFIGRELOAD", "RINGCANCELED", "AGENTDUMP", "SYSCOMPAT", "INFO", "DID"}
)
# What a verb looks like: anything else in the verb column is not a queue_log line.
VERB = re.compile(r"[A-Z][A-Z0-9_]{0,31}")
# Control characters never belong in the uniqueid, queue or agent columns (they would reach
# event keys and metric labels).
CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f-\x9f]")  # C0, DEL, C1: as the event contract
_DEFAULT_IDENTITIES = AgentIdentities()
# The first second of year 10000: a datetime holds the seconds before it (AMI's too).
END_OF_DATETIME = 253_402_300_800


class RejectReason(StrEnum):
    MALFORMED_LINE = "malformed_line"  # fewer than five fields, or no verb in the verb column
    BAD_TIMESTAMP = "bad_timestamp"
    UNKNOWN_VERB = "unknown_verb"
    MISSING_CALL_ID = "missing_call_id"  # a call verb with uniqueid NONE
    MISSING_AGENT = "missing_agent"
    MISSING_QUEUE = "missing_queue"
    BAD_FIELD = "bad_field"  # data fields not of the verb's layout (count or format)
    CONTROL_CHARACTER = "control_character"  # in the uniqueid, queue or agent column
    INVALID_EVENT = "invalid_event"  # the fields break a rule of the event contract


@dataclass(frozen=True, slots=True)
class Mapped:
    event: Event


@dataclass(frozen=True, slots=True)
class Ignored:
    verb: str


@dataclass(frozen=True, slots=True)
class Unknown:
    verb: str


@dataclass(frozen=True, slots=True)
class Rejected:
    reason: RejectReason
    detail: str


Outcome = Mapped | Ignored | Rejected  # also what an AMI frame maps to
LineOutcome = Mapped | Ignored | Unknown | Rejected


class LineError(ValueError):
    """Why a line cannot be mapped; caught by `parse_line`, never escapes it."""

    def __init__(self, reason: RejectReason, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Line:
    """One split line, with what every verb's mapping needs."""

    raw: str
    epoch: str
    uniqueid: str
    queue: str | None
    agent: str | None
    verb: str
    data: tuple[str, ...]
    occurred_at: datetime
    pbx_id: str
    region: str
    identities: AgentIdentities = field(default=_DEFAULT_IDENTITIES)

    def event_id(self) -> str:
        return line_event_id(self.pbx_id, self.raw)

    def field(self, index: int) -> str:
        return self.data[index].strip() if index < len(self.data) else ""

    def call_id(self) -> str:
        if self.uniqueid in NO_CALL_IDS:
            raise LineError(RejectReason.MISSING_CALL_ID, f"{self.verb} needs a call uniqueid")
        return self.uniqueid

    def required_agent(self) -> str:
        """The agent's identity (the agent column as logged is `interface`)."""
        if self.agent is None:
            raise LineError(RejectReason.MISSING_AGENT, f"{self.verb} needs an agent")
        return self.identities.identity(self.agent)

    def optional_agent(self) -> str | None:
        return self.identities.optional(self.agent)

    def required_queue(self) -> str:
        if self.queue is None:
            raise LineError(RejectReason.MISSING_QUEUE, f"{self.verb} needs a queue")
        return self.queue

    def common(self) -> dict[str, object]:
        return {"event_id": self.event_id(), "occurred_at": self.occurred_at, "source": SOURCE}

    def call(self, *, needs_queue: bool = False) -> dict[str, object]:
        queue = self.required_queue() if needs_queue else self.queue
        return {**self.common(), "call_id": self.call_id(), "queue": queue, "interface": self.agent}

    def member(self) -> dict[str, object]:
        agent = self.required_agent()
        return {**self.common(), "agent_id": agent, "queue": self.queue, "interface": self.agent}


def line_event_id(pbx_id: str, raw: str) -> str:
    """`make_event_id(SOURCE, pbx_id, raw)`, computed the way uuid5 does but four times
    faster (it is a third of a bulk import's parsing time); a test holds the two equal."""
    name = f"{SOURCE}\x1f{pbx_id}\x1f{raw}".encode()
    digest = bytearray(hashlib.sha1(_NAMESPACE + name, usedforsecurity=False).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def parse_line(
    raw: str,
    *,
    region: str = "IT",
    pbx_id: str = "pbx",
    identities: AgentIdentities = _DEFAULT_IDENTITIES,
) -> LineOutcome:
    """The outcome of one queue_log line (without its line ending)."""
    first = classify_line(raw, region=region, pbx_id=pbx_id, identities=identities)
    return map_line(first) if isinstance(first, Line) else first


def classify_line(
    raw: str,
    *,
    region: str = "IT",
    pbx_id: str = "pbx",
    identities: AgentIdentities = _DEFAULT_IDENTITIES,
) -> "Line | Ignored | Unknown | Rejected":
    """The first, cheap half of `parse_line`: a split line of a mapped verb, or its outcome
    already. An importer maps only the lines it has not handled before."""
    try:
        line = split_line(raw, region, pbx_id, identities)
    except LineError as error:
        return Rejected(error.reason, str(error))
    if line.verb in IGNORED_VERBS:
        return Ignored(line.verb)
    if line.verb not in MAPPERS:
        return Unknown(line.verb)
    return line


def map_line(line: "Line") -> Mapped | Rejected:
    """The second half of `parse_line`: the line against its verb's layout, then its event."""
    try:
        check_layout(line, LAYOUTS[line.verb])
        return Mapped(MAPPERS[line.verb](line))
    except LineError as error:
        return Rejected(error.reason, str(error))
    except ValidationError as error:
        return Rejected(RejectReason.INVALID_EVENT, _first_error(error))


def split_line(
    raw: str, region: str, pbx_id: str, identities: AgentIdentities = _DEFAULT_IDENTITIES
) -> Line:
    fields = raw.rstrip("\r\n").split("|")
    if len(fields) < 5:
        raise LineError(RejectReason.MALFORMED_LINE, f"{len(fields)} fields, at least 5 expected")
    epoch, uniqueid, queue, agent, verb, *data = fields
    verb = verb.strip().upper()
    if not VERB.fullmatch(verb):
        raise LineError(RejectReason.MALFORMED_LINE, f"no verb in the verb column: {verb[:40]!r}")
    if any(CONTROL_CHARACTER.search(name) for name in (uniqueid, queue, agent)):
        raise LineError(RejectReason.CONTROL_CHARACTER, "control character in uniqueid/queue/agent")
    return Line(
        raw=raw.rstrip("\r\n"),
        epoch=epoch.strip(),
        uniqueid=uniqueid.strip(),
        queue=_named(queue),
        agent=_named(agent),
        verb=verb,
        data=tuple(data),
        occurred_at=_timestamp(epoch),
        pbx_id=pbx_id,
        region=region,
        identities=identities,
    )


@dataclass(frozen=True, slots=True)
class Format:
    """What one data field must look like."""

    name: str
    pattern: re.Pattern[str]

    def check(self, line: Line, index: int) -> None:
        value = line.data[index].strip()
        if not self.pattern.fullmatch(value):
            raise LineError(
                RejectReason.BAD_FIELD,
                f"{line.verb} data{index + 1} ({self.name}) is not {self.pattern.pattern!r}: "
                f"{value[:40]!r}",
            )


def _format(name: str, pattern: str) -> Format:
    return Format(name, re.compile(pattern))


@dataclass(frozen=True, slots=True)
class Layout:
    """A verb's data fields: the first `required` must be there, all must match their format."""

    fields: tuple[Format, ...]
    required: int

    def names(self) -> str:
        return "|".join(f.name for f in self.fields) or "none"


def check_layout(line: Line, layout: Layout) -> None:
    count = len(line.data)
    if count < layout.required:
        raise LineError(
            RejectReason.BAD_FIELD,
            f"{line.verb}: {count} data fields, at least {layout.required} expected "
            f"({layout.names()}): a cut line?",
        )
    for index in range(min(count, len(layout.fields))):
        layout.fields[index].check(line, index)
    if any(value.strip() for value in line.data[len(layout.fields) :]):
        raise LineError(
            RejectReason.BAD_FIELD,
            f"{line.verb}: {count} data fields, at most {len(layout.fields)} expected "
            f"({layout.names()})",
        )


def _named(value: str) -> str | None:
    value = value.strip()
    return None if value in NONE_WORDS else value


def _timestamp(epoch: str) -> datetime:
    try:
        seconds = float(epoch)
        if not 0 < seconds < END_OF_DATETIME:  # up to the last second of year 9999
            raise ValueError("out of range")
        return datetime.fromtimestamp(seconds, UTC)
    except (ValueError, OverflowError, OSError) as error:
        raise LineError(RejectReason.BAD_TIMESTAMP, f"bad epoch {epoch[:40]!r}: {error}") from None


def _seconds(line: Line, index: int, name: str, scale: float = 1.0) -> float:
    text = line.field(index)
    try:
        value = float(text) / scale
    except ValueError:
        raise LineError(
            RejectReason.BAD_FIELD, f"{line.verb} {name} (data{index + 1}) {text[:40]!r}"
        ) from None
    return value


def _position(line: Line, index: int, name: str) -> int:
    text = line.field(index)
    if not text.isdecimal() or not text.isascii():
        raise LineError(
            RejectReason.BAD_FIELD, f"{line.verb} {name} (data{index + 1}) {text[:40]!r}"
        )
    return int(text)


def _optional_position(line: Line, index: int) -> int | None:
    text = line.field(index)
    return int(text) if text.isdecimal() and text.isascii() and int(text) > 0 else None


def _optional(line: Line, index: int) -> str | None:
    return line.field(index) or None


def enter_queue(line: Line) -> Event:
    # data: url, callerid, origposition[, calleridname when log_cidname=yes]
    return CallOffered(
        **line.call(needs_queue=True),
        caller=normalise_caller(line.field(1), line.region, _optional(line, 3)),
        position=_optional_position(line, 2),
    )


def connect(line: Line) -> Event:
    # data: holdtime, bridged channel uniqueid, ringtime
    ring = line.field(2)
    return CallAnswered(
        **line.call(),
        agent=line.required_agent(),
        wait_seconds=_seconds(line, 0, "holdtime"),
        agent_call_id=_optional(line, 1),
        ring_seconds=_seconds(line, 2, "ringtime") if ring else None,
    )


def complete(ended_by: EndedBy) -> Callable[[Line], Event]:
    def mapper(line: Line) -> Event:
        # data: holdtime, calltime, origposition
        return CallEnded(
            **line.call(),
            agent=line.required_agent(),
            wait_seconds=_seconds(line, 0, "holdtime"),
            talk_seconds=_seconds(line, 1, "calltime"),
            ended_by=ended_by,
        )

    return mapper


def abandon(line: Line) -> Event:
    # data: position, origposition, waittime
    return CallAbandoned(
        **line.call(needs_queue=True),
        position=_position(line, 0, "position"),
        original_position=_optional_position(line, 1),
        wait_seconds=_seconds(line, 2, "waittime"),
    )


def exit_queue(reason: ExitReason) -> Callable[[Line], Event]:
    def mapper(line: Line) -> Event:
        # data: [key,] position, origposition, waittime
        first = 1 if reason is ExitReason.KEY else 0
        return CallExited(
            **line.call(needs_queue=True),
            reason=reason,
            key=_optional(line, 0) if reason is ExitReason.KEY else None,
            position=_position(line, first, "position"),
            original_position=_optional_position(line, first + 1),
            wait_seconds=_seconds(line, first + 2, "waittime"),
        )

    return mapper


def transfer(kind: TransferKind) -> Callable[[Line], Event]:
    def mapper(line: Line) -> Event:
        # TRANSFER / BLINDTRANSFER: extension, context, holdtime, calltime, origposition.
        # ATTENDEDTRANSFER: method, method data (two fields for LINK), holdtime, calltime,
        # origposition: the times are read from the end so that both layouts parse.
        if len(line.data) < 5:
            raise LineError(RejectReason.BAD_FIELD, f"{line.verb}: {len(line.data)} data fields")
        last = len(line.data) - 1
        attended = kind is TransferKind.ATTENDED
        return CallTransferred(
            **line.call(),
            kind=kind,
            agent=line.optional_agent(),
            target_extension=None if attended else _optional(line, 0),
            target_context=None if attended else _optional(line, 1),
            wait_seconds=_seconds(line, last - 2, "holdtime"),
            talk_seconds=_seconds(line, last - 1, "calltime"),
        )

    return mapper


def ring_no_answer(line: Line) -> Event:
    # data: ring time in milliseconds
    return CallRingNoAnswer(
        **line.call(),
        agent=line.required_agent(),
        ring_seconds=_seconds(line, 0, "ringtime", scale=1000.0),
    )


def agent_login(line: Line) -> Event:
    # AGENTLOGIN: channel; AGENTCALLBACKLOGIN: exten@context; ADDMEMBER: nothing
    return AgentLoggedIn(**line.member())


def agent_logoff(line: Line) -> Event:
    # AGENTLOGOFF: channel, logintime; AGENTCALLBACKLOGOFF: exten@context, logintime, reason
    login = line.field(1)
    return AgentLoggedOut(
        **line.member(),
        session_seconds=_seconds(line, 1, "logintime") if login else None,
    )


def remove_member(line: Line) -> Event:
    return AgentLoggedOut(**line.member())


def pause(line: Line) -> Event:
    return AgentPaused(**line.member(), reason=_optional(line, 0))


def unpause(line: Line) -> Event:
    return AgentUnpaused(**line.member())


def _dialled(line: Line, index: int = 0) -> dict[str, object]:
    number = line.field(index)
    return {"dialled": normalise_caller(number, line.region)} if number else {}


def _outbound(line: Line) -> dict[str, object]:
    return {**line.call(), "agent": line.optional_agent()}


def _optional_seconds(line: Line, index: int, name: str) -> float | None:
    return _seconds(line, index, name) if line.field(index) else None


def outbound_dial(line: Line) -> Event:
    # data: number dialled[, campaign]
    return CallOutboundDialled(
        **_outbound(line),
        dialled=normalise_caller(line.field(0), line.region),
        campaign=_optional(line, 1),
    )


def outbound_answer(line: Line) -> Event:
    # data: number dialled[, seconds dialled before the answer]
    return CallOutboundAnswered(
        **_outbound(line), **_dialled(line), ring_seconds=_optional_seconds(line, 1, "dialtime")
    )


def outbound_failed(outcome: OutboundOutcome) -> Callable[[Line], Event]:
    def mapper(line: Line) -> Event:
        # data: number dialled[, seconds dialled before giving up]
        return CallOutboundEnded(
            **_outbound(line),
            **_dialled(line),
            outcome=outcome,
            connected=False,
            ring_seconds=_optional_seconds(line, 1, "dialtime"),
            talk_seconds=0.0,
        )

    return mapper


def outbound_transfer(line: Line) -> Event:
    # data: number dialled[, transfer target[, talk time]]
    return CallOutboundEnded(
        **_outbound(line),
        **_dialled(line),
        outcome=OutboundOutcome.TRANSFERRED,
        connected=True,
        target=_optional(line, 1),
        talk_seconds=_optional_seconds(line, 2, "talktime"),
    )


# Asterisk's DIALSTATUS values, as QueueUpdate() logs them in OUTCALL.
DIAL_STATUS = {
    "ANSWER": OutboundOutcome.COMPLETED,
    "CANCEL": OutboundOutcome.CANCELLED,
    "NOANSWER": OutboundOutcome.NO_ANSWER,
    "BUSY": OutboundOutcome.BUSY,
    "CHANUNAVAIL": OutboundOutcome.UNAVAILABLE,
    "CONGESTION": OutboundOutcome.CONGESTION,
}


def outbound_call(line: Line) -> Event:
    # Asterisk's QueueUpdate(): status, talktime[, totaltime[, callednumber]]
    outcome = DIAL_STATUS.get(line.field(0).upper(), OutboundOutcome.UNKNOWN)
    connected = outcome is OutboundOutcome.COMPLETED
    return CallOutboundEnded(
        **_outbound(line),
        **_dialled(line, 3),
        outcome=outcome,
        connected=connected,
        talk_seconds=_optional_seconds(line, 1, "talktime") if connected else 0.0,
    )


MAPPERS: dict[str, Callable[[Line], Event]] = {
    "ENTERQUEUE": enter_queue,
    "CONNECT": connect,
    "COMPLETECALLER": complete(EndedBy.CALLER),
    "COMPLETEAGENT": complete(EndedBy.AGENT),
    "ABANDON": abandon,
    "EXITWITHTIMEOUT": exit_queue(ExitReason.TIMEOUT),
    "EXITEMPTY": exit_queue(ExitReason.EMPTY),
    "EXITWITHKEY": exit_queue(ExitReason.KEY),
    "TRANSFER": transfer(TransferKind.UNKNOWN),
    "BLINDTRANSFER": transfer(TransferKind.BLIND),
    "ATTENDEDTRANSFER": transfer(TransferKind.ATTENDED),
    "RINGNOANSWER": ring_no_answer,
    "AGENTLOGIN": agent_login,
    "AGENTCALLBACKLOGIN": agent_login,
    "ADDMEMBER": agent_login,
    "AGENTLOGOFF": agent_logoff,
    "AGENTCALLBACKLOGOFF": agent_logoff,
    "REMOVEMEMBER": remove_member,
    "PAUSE": pause,
    "PAUSEALL": pause,
    "UNPAUSE": unpause,
    "UNPAUSEALL": unpause,
    "OUTDIAL": outbound_dial,
    "OUTANSWER": outbound_answer,
    "OUTCANCEL": outbound_failed(OutboundOutcome.CANCELLED),
    "OUTNOANSWER": outbound_failed(OutboundOutcome.NO_ANSWER),
    "OUTBUSY": outbound_failed(OutboundOutcome.BUSY),
    "OUTCHANUNAVAIL": outbound_failed(OutboundOutcome.UNAVAILABLE),
    "OUTCONGESTION": outbound_failed(OutboundOutcome.CONGESTION),
    "OUTTRANSFER": outbound_transfer,
    "OUTCALL": outbound_call,
}

ANY = _format("text", r".*")
TEXT = _format("text", r".+")
INT = _format("integer", r"[0-9]+")
OPTIONAL_INT = _format("integer", r"[0-9]*")
# Asterisk's uniqueid: <epoch>.<sequence>, prefixed by `systemname-` when one is configured.
UNIQUEID = _format("uniqueid", r"(?:[\w.-]+-)?[0-9]+\.[0-9]+")


def _layout(required: int, *fields: tuple[str, Format]) -> Layout:
    return Layout(tuple(Format(name, f.pattern) for name, f in fields), required)


_COMPLETE = _layout(3, ("holdtime", INT), ("calltime", INT), ("origposition", INT))
_GONE = _layout(3, ("position", INT), ("origposition", INT), ("waittime", INT))
_TRANSFER = _layout(
    5,
    *[("extension", ANY), ("context", ANY)],
    *[("holdtime", INT), ("calltime", INT), ("origposition", INT)],
)
# ATTENDEDTRANSFER's method data takes two fields for LINK: the times are checked from the end
# by its mapper.
_ATTENDED = _layout(5, ("method", TEXT), *[(f"data{i}", ANY) for i in range(2, 7)])
_LOGIN = _layout(1, ("channel", TEXT))
_LOGOFF = _layout(2, ("channel", ANY), ("logintime", INT), ("reason", ANY))
_NO_DATA = _layout(0)
_REASON = _layout(0, ("reason", ANY))
_OUT_FAILED = _layout(1, ("number", TEXT), ("dialtime", OPTIONAL_INT))

LAYOUTS: dict[str, Layout] = {
    "ENTERQUEUE": _layout(
        3, ("url", ANY), ("callerid", ANY), ("origposition", INT), ("calleridname", ANY)
    ),
    "CONNECT": _layout(3, ("holdtime", INT), ("bridged uniqueid", UNIQUEID), ("ringtime", INT)),
    "COMPLETECALLER": _COMPLETE,
    "COMPLETEAGENT": _COMPLETE,
    "ABANDON": _GONE,
    "EXITWITHTIMEOUT": _GONE,
    "EXITEMPTY": _GONE,
    "EXITWITHKEY": _layout(
        4, ("key", TEXT), ("position", INT), ("origposition", INT), ("waittime", INT)
    ),
    "TRANSFER": _TRANSFER,
    "BLINDTRANSFER": _TRANSFER,
    "ATTENDEDTRANSFER": _ATTENDED,
    "RINGNOANSWER": _layout(1, ("ringtime ms", INT)),
    "AGENTLOGIN": _LOGIN,
    "AGENTCALLBACKLOGIN": _LOGIN,
    "ADDMEMBER": _NO_DATA,
    "AGENTLOGOFF": _LOGOFF,
    "AGENTCALLBACKLOGOFF": _LOGOFF,
    "REMOVEMEMBER": _NO_DATA,
    "PAUSE": _REASON,
    "PAUSEALL": _REASON,
    "UNPAUSE": _REASON,
    "UNPAUSEALL": _REASON,
    "OUTDIAL": _layout(1, ("number", TEXT), ("campaign", ANY)),
    "OUTANSWER": _OUT_FAILED,
    "OUTCANCEL": _OUT_FAILED,
    "OUTNOANSWER": _OUT_FAILED,
    "OUTBUSY": _OUT_FAILED,
    "OUTCHANUNAVAIL": _OUT_FAILED,
    "OUTCONGESTION": _OUT_FAILED,
    "OUTTRANSFER": _layout(1, ("number", TEXT), ("target", ANY), ("talktime", OPTIONAL_INT)),
    "OUTCALL": _layout(
        2,
        ("status", TEXT),
        ("talktime", OPTIONAL_INT),
        ("totaltime", OPTIONAL_INT),
        ("number", ANY),
    ),
}


def _first_error(error: ValidationError) -> str:
    """Every field in error (an agent's name is in `agent` and `interface`), the first reason."""
    errors = error.errors()
    where = ", ".join(".".join(str(part) for part in e["loc"]) for e in errors)
    return f"{where}: {errors[0]['msg']}"[:500]

"""Calls waiting in AMI queues, from Join to their end: each leaves its queue answered,
abandoned by the caller, or exited (the queue gave up on it, or the caller left with a key).
Pure: no I/O; the adapter feeds it `ami_events` outcomes and passes the clock in; every method
returns what is decided, to be published.

What Asterisk sends (app_queue.c, the same from 1.8 to 22):
- answered: Leave, then AgentConnect once the member's macro, gosub or AGI has run;
- abandoned by the caller: HangupRequest (class `call`), QueueCallerAbandon, Leave, Hangup;
- timed out, or left because the queue emptied (`leavewhenempty`): QueueCallerAbandon and Leave
  too (Asterisk counts them as abandoned), then QUEUESTATUS set to TIMEOUT / LEAVEEMPTY /
  LEAVEUNAVAIL (a VarSet, class `dialplan`), and the caller goes on in the dialplan;
- left with an exit key: DTMF (class `dtmf`), then Leave alone.
So a Leave after neither an abandon nor an answer is held for `grace_seconds` and becomes
call.exited (reason `key` with the digit when a DTMF frame told it, else `unknown`; its wait
from Join to Leave) unless its AgentConnect comes. An abandon is published at once when the
caller's hang-up was seen; otherwise it is held, becomes call.exited (timeout / empty) when
QUEUESTATUS says the queue gave up or `unknown` when the caller joins another queue, and is
published as call.abandoned at the caller's Hangup or when the grace has passed.

After a reconnect the adapter asks the PBX which calls wait now (QueueStatus) and `resync`s:
AMI does not resend what a session missed, so a call that joined and left while we were away
has no end here (queue_log has it), and one still waiting is tracked from its `Wait`.
"""

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from cc_schemas import CallAbandoned, CallAnswered, CallExited, CallOffered, Event, ExitReason
from telephony_ingest.ami_events import (
    SOURCE,
    AmiOutcome,
    HungUp,
    KeyPressed,
    Left,
    QueueResult,
)
from telephony_ingest.queue_log import Mapped

_LONGEST_WAIT = 30 * 86_400  # a QueueEntry's Wait beyond this is not a real wait
# QUEUESTATUS values by which app_queue says it, not the caller, ended the wait.
QUEUE_GAVE_UP = {
    "TIMEOUT": ExitReason.TIMEOUT,
    "LEAVEEMPTY": ExitReason.EMPTY,
    "LEAVEUNAVAIL": ExitReason.EMPTY,
    "WITHDRAW": ExitReason.UNKNOWN,
}


@dataclass(slots=True)
class Waiting:
    queue: str
    joined_at: datetime | None
    original_position: int | None
    key: str | None = None
    hung_up: bool = False  # the caller hung up, or was asked to
    ended: bool = False  # answered or abandoned: its Leave decides nothing


@dataclass(frozen=True, slots=True)
class Queued:
    """A call the PBX says is waiting now (a QueueStatus `QueueEntry`)."""

    call_id: str
    queue: str
    joined_at: datetime | None


@dataclass(frozen=True, slots=True)
class Untracked:
    """A caller left a queue unanswered, but we never saw them join: the wait is unknown."""

    left: Left


@dataclass(frozen=True, slots=True)
class Unpublishable:
    """A caller's end whose event breaks its contract (a field the frame filled wrongly that
    the edge let through): dead-lettered with the reason, so the other calls' ends go on."""

    left: Left
    error: str


Decided = Event | Untracked | Unpublishable


@dataclass(frozen=True, slots=True)
class _Held:
    """An end not decided yet: a Leave (an exit, unless AgentConnect follows) or an abandon
    (an abandon, unless QUEUESTATUS says the queue gave up)."""

    due: float
    left: Left | None = None
    waiting: Waiting | None = None
    abandon: CallAbandoned | None = None


class CallsInQueue:
    """The calls in queue of one PBX and the ends held for their grace."""

    def __init__(self, grace_seconds: float) -> None:
        self.grace_seconds = grace_seconds
        self.waiting: dict[str, Waiting] = {}  # by call id: a call waits in one queue at a time
        self.held: dict[tuple[str, str], _Held] = {}  # by call id and queue

    def apply(self, outcome: AmiOutcome, now: float) -> list[Decided]:
        """One frame's outcome, in the order the frames came; returns what to publish now."""
        if isinstance(outcome, Mapped):
            return self.observe(outcome.event, now)
        if isinstance(outcome, Left):
            self.left(outcome, now)
        elif isinstance(outcome, KeyPressed):
            self.key(outcome)
        elif isinstance(outcome, HungUp):
            return self.hung_up(outcome)
        elif isinstance(outcome, QueueResult):
            return self.queue_result(outcome)
        return []

    def observe(self, event: Event, now: float) -> list[Decided]:
        """A mapped call event; returns what to publish now (an abandon may be held)."""
        if isinstance(event, CallOffered):
            return [*self._joined(event), event]
        if isinstance(event, CallAnswered):
            self._answered(event)
        elif isinstance(event, CallAbandoned):
            return self._abandoned(event, now)
        return [event]

    def key(self, pressed: KeyPressed) -> None:
        waiting = self.waiting.get(pressed.call_id)
        if waiting is not None:
            waiting.key = pressed.digit

    def left(self, left: Left, now: float) -> None:
        waiting = self.waiting.pop(left.call_id, None)
        if (left.call_id, left.queue) in self.held or (waiting is not None and waiting.ended):
            return  # answered, abandoned (perhaps held), or the same Leave twice
        self.held[left.call_id, left.queue] = _Held(
            now + self.grace_seconds, left=left, waiting=waiting
        )

    def hung_up(self, hang_up: HungUp) -> list[Decided]:
        """The caller hung up: a held abandon is one."""
        waiting = self.waiting.get(hang_up.call_id)
        if waiting is not None:
            waiting.hung_up = True
        return list(self._take_abandons(hang_up.call_id))

    def queue_result(self, result: QueueResult) -> list[Decided]:
        """QUEUESTATUS after a Leave: a held abandon of a queue that gave up is an exit."""
        reason = QUEUE_GAVE_UP.get(result.status)
        if reason is None:
            return []
        return [_given_up(abandon, reason) for abandon in self._take_abandons(result.call_id)]

    def due(self, now: float = math.inf) -> list[Decided]:
        """The ends whose grace has passed (all of them by default)."""
        done = [key for key, held in self.held.items() if held.due <= now]
        return [_decided(held) for held in map(self.held.pop, done)]

    def resync(self, queued: Iterable[Queued]) -> int:
        """Replace the waiting calls with those the PBX reports; returns how many calls we were
        tracking ended unseen (while the connection was down)."""
        waiting: dict[str, Waiting] = {}
        for call in queued:
            known = self.waiting.get(call.call_id)
            if (call.call_id, call.queue) in self.held:
                continue
            if known is not None and known.queue == call.queue and not known.ended:
                waiting[call.call_id] = known
            else:
                waiting[call.call_id] = Waiting(call.queue, call.joined_at, None)
        lost = sum(1 for call_id in self.waiting if call_id not in waiting)
        self.waiting = waiting
        return lost

    def _joined(self, event: CallOffered) -> list[Decided]:
        # Joining a queue again (an exit key's or a timeout's destination) proves the caller
        # did not hang up: a held abandon was the queue giving up, a held Leave an exit.
        for key, held in self.held.items():
            if key[0] == event.call_id and held.left is not None:
                self.held[key] = replace(held, due=-math.inf)
        exits: list[Decided] = [
            _given_up(abandon, ExitReason.UNKNOWN) for abandon in self._take_abandons(event.call_id)
        ]
        self.waiting[event.call_id] = Waiting(event.queue, event.occurred_at, event.position)
        return exits

    def _answered(self, event: CallAnswered) -> None:
        for key, held in self.held.items():
            if key[0] == event.call_id and held.left and event.queue in (None, key[1]):
                del self.held[key]  # its Leave came first, as an answered call's does
                return
        waiting = self.waiting.get(event.call_id)
        if waiting is not None:
            waiting.ended = True

    def _abandoned(self, event: CallAbandoned, now: float) -> list[Decided]:
        waiting = self.waiting.get(event.call_id)
        if waiting is None:  # joined before we connected; its Leave follows
            waiting = self.waiting[event.call_id] = Waiting(event.queue, None, None)
        waiting.ended = True
        if waiting.hung_up:
            return [event]
        self.held[event.call_id, event.queue] = _Held(now + self.grace_seconds, abandon=event)
        return []

    def _take_abandons(self, call_id: str) -> list[CallAbandoned]:
        keys = [k for k, held in self.held.items() if k[0] == call_id and held.abandon]
        return [abandon for k in keys if (abandon := self.held.pop(k).abandon) is not None]


def _decided(held: _Held) -> Decided:
    if held.abandon is not None:
        return held.abandon
    assert held.left is not None  # a held end is a Leave or an abandon
    try:
        return _exited(held.left, held.waiting)
    except ValueError as error:  # pydantic's ValidationError: the contract refused a field
        return Unpublishable(held.left, str(error))


def _given_up(abandon: CallAbandoned, reason: ExitReason) -> CallExited:
    return CallExited(
        event_id=abandon.event_id,
        occurred_at=abandon.occurred_at,
        source=abandon.source,
        call_id=abandon.call_id,
        queue=abandon.queue,
        reason=reason,
        wait_seconds=abandon.wait_seconds,
        position=abandon.position,
        original_position=abandon.original_position,
    )


def _exited(left: Left, waiting: Waiting | None) -> CallExited | Untracked:
    if waiting is None or waiting.joined_at is None:
        return Untracked(left)
    return CallExited(
        event_id=left.event_id,
        occurred_at=left.at,
        source=SOURCE,
        call_id=left.call_id,
        queue=left.queue,
        reason=ExitReason.KEY if waiting.key else ExitReason.UNKNOWN,
        key=waiting.key,
        wait_seconds=max(0.0, (left.at - waiting.joined_at).total_seconds()),
        position=left.position,
        original_position=waiting.original_position,
    )


def queue_entry(headers: Mapping[str, object], received_at: float) -> Queued | None:
    """A QueueStatus `QueueEntry` reply (Queue, Uniqueid, Wait in seconds), or None if it
    lacks one of them."""
    fields = {str(k).lower(): str(v).strip() for k, v in headers.items()}
    call_id, queue, wait = fields.get("uniqueid", ""), fields.get("queue", ""), fields.get("wait")
    if fields.get("event", "").lower() != "queueentry" or not call_id or not queue:
        return None
    if not (wait and wait.isascii() and wait.isdecimal()):
        return Queued(call_id, queue, None)
    seconds = min(int(wait), _LONGEST_WAIT)
    return Queued(
        call_id, queue, datetime.fromtimestamp(received_at, UTC) - timedelta(seconds=seconds)
    )

"""Calls waiting in AMI queues, from Join to Leave: a call that leaves unanswered is closed with
call.exited. Pure: no I/O; the adapter feeds it `ami_events` outcomes and passes the clock in.

What Asterisk sends (app_queue.c, the same from 1.8 to 22): an abandoned call sends
QueueCallerAbandon, then Leave; so does a call the queue itself gives up on (its timeout, or
`leavewhenempty`), since Asterisk records those as abandoned too. An answered call sends Leave,
then AgentConnect once the member's macro, gosub or AGI has run. A caller who leaves with an
exit key sends Leave alone. So a Leave after neither is held for `grace_seconds`, and becomes
call.exited if no AgentConnect follows: reason `key` (with the digit) when a DTMF frame told
which key the caller pressed, `unknown` otherwise; its wait is from the Join to the Leave.

After a reconnect the adapter asks the PBX which calls wait now (QueueStatus) and `resync`s:
AMI does not resend what a session missed, so a call that joined and left while we were away
has no end here (queue_log has it), and one still waiting is tracked from its `Wait`.
"""

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from cc_schemas import CallAbandoned, CallAnswered, CallExited, CallOffered, Event, ExitReason
from telephony_ingest.ami_events import SOURCE, KeyPressed, Left

_LONGEST_WAIT = 30 * 86_400  # a QueueEntry's Wait beyond this is not a real wait


@dataclass(slots=True)
class Waiting:
    queue: str
    joined_at: datetime | None
    original_position: int | None
    key: str | None = None
    closed: bool = False  # answered or abandoned: its Leave ends nothing


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
class _Pending:
    left: Left
    waiting: Waiting | None
    due: float


class CallsInQueue:
    """The calls in queue of one PBX; `due` hands out the exits whose grace has passed."""

    def __init__(self, grace_seconds: float) -> None:
        self.grace_seconds = grace_seconds
        self.waiting: dict[str, Waiting] = {}  # by call id: a call waits in one queue at a time
        self.pending: dict[tuple[str, str], _Pending] = {}  # by call id and the queue it left

    def observe(self, event: Event) -> None:
        """A published call event: a join opens a call, an answer or an abandon closes it."""
        if isinstance(event, CallOffered):
            self._joined(event)
        elif isinstance(event, CallAnswered | CallAbandoned):
            if self._pop_pending(event.call_id, event.queue):
                return  # its Leave came first, as an answered call's does
            waiting = self.waiting.get(event.call_id)
            if waiting is not None:
                waiting.closed = True
            elif isinstance(event, CallAbandoned):  # joined before we connected; Leave follows
                self.waiting[event.call_id] = Waiting(event.queue, None, None, closed=True)

    def key(self, pressed: KeyPressed) -> None:
        waiting = self.waiting.get(pressed.call_id)
        if waiting is not None:
            waiting.key = pressed.digit

    def left(self, left: Left, now: float) -> None:
        if (left.call_id, left.queue) in self.pending:
            return  # the same Leave twice
        waiting = self.waiting.pop(left.call_id, None)
        if waiting is None or not waiting.closed:
            pending = _Pending(left, waiting, now + self.grace_seconds)
            self.pending[left.call_id, left.queue] = pending

    def due(self, now: float = math.inf) -> list[CallExited | Untracked]:
        """The calls that left unanswered and whose grace has passed (all of them by default)."""
        done = [key for key, pending in self.pending.items() if pending.due <= now]
        return [_exited(p.left, p.waiting) for p in map(self.pending.pop, done)]

    def _joined(self, event: CallOffered) -> None:
        # Joining another queue (an exit key's destination) ends the grace of the one it left.
        for key, pending in self.pending.items():
            if key[0] == event.call_id:
                self.pending[key] = replace(pending, due=-math.inf)
        self.waiting[event.call_id] = Waiting(event.queue, event.occurred_at, event.position)

    def _pop_pending(self, call_id: str, queue: str | None) -> bool:
        keys = [key for key in self.pending if key[0] == call_id and queue in (None, key[1])]
        for key in keys[:1]:
            del self.pending[key]
        return bool(keys)

    def resync(self, queued: Iterable[Queued]) -> int:
        """Replace the waiting calls with those the PBX reports; returns how many calls we were
        tracking ended unseen (while the connection was down)."""
        waiting: dict[str, Waiting] = {}
        for call in queued:
            known = self.waiting.get(call.call_id)
            if (call.call_id, call.queue) in self.pending:
                continue
            if known is not None and known.queue == call.queue and not known.closed:
                waiting[call.call_id] = known
            else:
                waiting[call.call_id] = Waiting(call.queue, call.joined_at, None)
        lost = sum(1 for call_id in self.waiting if call_id not in waiting)
        self.waiting = waiting
        return lost


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

"""The PBX: Poisson calls by hour of day into queues served first come, first served by agents
on shifts with pauses; impatient callers abandon, the queue times out, agents transfer. Emits
call-events and agent-events as the PBX middleware reports them (Asterisk queue semantics)."""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from datetime import datetime, timedelta

from cc_dev.simulation.base import Stream, any_customer, arrivals
from cc_dev.simulation.params import SOURCE
from cc_schemas import (
    AgentLoggedIn,
    AgentLoggedOut,
    AgentPaused,
    AgentUnpaused,
    CallAbandoned,
    CallAnswered,
    CallEnded,
    Caller,
    CallExited,
    CallOffered,
    CallRinging,
    CallRingNoAnswer,
    CallTransferred,
    EndedBy,
    ExitReason,
    TransferKind,
)


@dataclass
class Agent:
    name: str
    shift_start: datetime
    shift_end: datetime
    pauses: list[tuple[datetime, datetime, str]]
    free_at: datetime  # end of the current call's wrap-up

    def next_free(self, at: datetime) -> datetime | None:
        """When the agent can take a call offered at `at`; None once the shift is over."""
        t = max(at, self.free_at, self.shift_start)
        for start, end, _ in self.pauses:
            if start <= t < end:
                t = end
        return t if t < self.shift_end else None


@dataclass(frozen=True)
class Call:
    call_id: str
    arrived: datetime
    queue: str
    patience: float
    position: int


class Pbx:
    def __init__(self, stream: Stream) -> None:
        self.s = stream
        self.p = stream.params.calls
        self.agents = self._staff()
        self.waiting: list[datetime] = []  # when calls ahead leave the queue (a heap)
        self.count = 0

    def _staff(self) -> list[Agent]:
        start, end = self.s.params.start, self.s.params.end
        window = (end - start).total_seconds() / 3600
        shift = min(self.p.shift_hours, window)
        agents = []
        for n in range(self.p.agents):
            # Two shifts, early and late, so the whole window is covered.
            offset = 0.0 if n % 2 == 0 else max(0.0, window - shift)
            begin = start + timedelta(hours=offset)
            finish = begin + timedelta(hours=shift)
            agents.append(Agent(f"PJSIP/{1001 + n}", begin, finish, self._pauses(begin), begin))
        return agents

    def _pauses(self, begin: datetime) -> list[tuple[datetime, datetime, str]]:
        if not self.p.breaks:
            return []
        jitter = self.s.rng.uniform(-15, 15)
        plan = [(2.0, 10, "break"), (4.0, 30, "lunch"), (6.0, 10, "break")]
        return [
            (
                begin + timedelta(hours=h, minutes=jitter),
                begin + timedelta(hours=h, minutes=jitter + minutes),
                reason,
            )
            for h, minutes, reason in plan
            if h < self.p.shift_hours
        ]

    def run(self) -> None:
        for agent in self.agents:
            self._agent_day(agent)
        for at in arrivals(self.s, self.p.calls_per_day, self.p.profile):
            self.offer(at, self.s.pick(self.p.queues), None)

    def _agent_day(self, agent: Agent) -> None:
        s, a = self.s, agent.name
        s.emit(
            agent.shift_start,
            AgentLoggedIn(
                event_id=s.event_id(a, "in"),
                occurred_at=agent.shift_start,
                source=SOURCE,
                agent_id=a,
                interface=a,
            ),
        )
        for start, end, reason in agent.pauses:
            s.emit(
                start,
                AgentPaused(
                    event_id=s.event_id(a, "pause", start),
                    occurred_at=start,
                    source=SOURCE,
                    agent_id=a,
                    reason=reason,
                ),
            )
            s.emit(
                end,
                AgentUnpaused(
                    event_id=s.event_id(a, "unpause", end),
                    occurred_at=end,
                    source=SOURCE,
                    agent_id=a,
                ),
            )
        seconds = (agent.shift_end - agent.shift_start).total_seconds()
        s.emit(
            agent.shift_end,
            AgentLoggedOut(
                event_id=s.event_id(a, "out"),
                occurred_at=agent.shift_end,
                source=SOURCE,
                agent_id=a,
                session_seconds=seconds,
            ),
        )

    def offer(self, at: datetime, queue: str, call_id: str | None) -> None:
        while self.waiting and self.waiting[0] <= at:
            heapq.heappop(self.waiting)
        self.count += 1
        call = Call(
            call_id=call_id or f"{int(at.timestamp())}.{self.count}",
            arrived=at,
            queue=queue,
            patience=self.s.rng.expovariate(1 / self.p.patience_mean),
            position=len(self.waiting) + 1,
        )
        self._offered(call)
        candidates = [(t, i) for i, ag in enumerate(self.agents) if (t := ag.next_free(at))]
        if not candidates:
            self._exit(call, ExitReason.EMPTY, at)
            return
        free_at, index = min(candidates)
        wait = (free_at - at).total_seconds()
        if wait > min(call.patience, self.p.max_wait):
            left = at + timedelta(seconds=min(call.patience, self.p.max_wait))
            heapq.heappush(self.waiting, left)
            if call.patience < self.p.max_wait:
                self._abandon(call, left)
            else:
                self._exit(call, ExitReason.TIMEOUT, left)
            return
        heapq.heappush(self.waiting, free_at)
        self._serve(call, self.agents[index], free_at)

    def _offered(self, call: Call) -> None:
        s, who = self.s, any_customer(self.s)
        withheld = s.rng.random() < self.p.withheld_share
        caller = (
            Caller(number_raw="anonymous", withheld=True)
            if withheld
            else Caller(number_raw="0" + who.phone[3:], e164=who.phone)
        )
        s.emit(
            call.arrived,
            CallOffered(
                event_id=s.event_id(call.call_id, "offered", call.arrived),
                occurred_at=call.arrived,
                source=SOURCE,
                call_id=call.call_id,
                queue=call.queue,
                caller=caller,
                called_number="08001234567",
                position=call.position,
            ),
        )

    def _abandon(self, call: Call, at: datetime) -> None:
        s = self.s
        wait = (at - call.arrived).total_seconds()
        if s.rng.random() < self.p.exit_key_share:
            self._exit(call, ExitReason.KEY, at)
            return
        s.emit(
            at,
            CallAbandoned(
                event_id=s.event_id(call.call_id, "abandoned", at),
                occurred_at=at,
                source=SOURCE,
                call_id=call.call_id,
                queue=call.queue,
                wait_seconds=wait,
                position=max(1, call.position - 1) if wait > 30 else call.position,
                original_position=call.position,
            ),
        )

    def _exit(self, call: Call, reason: ExitReason, at: datetime) -> None:
        s = self.s
        s.emit(
            at,
            CallExited(
                event_id=s.event_id(call.call_id, "exited", at),
                occurred_at=at,
                source=SOURCE,
                call_id=call.call_id,
                queue=call.queue,
                reason=reason,
                key="0" if reason is ExitReason.KEY else None,
                wait_seconds=(at - call.arrived).total_seconds(),
                position=1,
                original_position=call.position,
            ),
        )

    def _serve(self, call: Call, agent: Agent, answered: datetime) -> None:
        s, p = self.s, self.p
        ring = 0.0 if p.exponential_talk else s.rng.uniform(*p.ring_seconds)
        ring_start = answered - timedelta(seconds=ring)
        if not p.exponential_talk and s.rng.random() < p.ring_no_answer_share:
            self._ring_no_answer(call, max(call.arrived, ring_start - timedelta(seconds=15)))
        ring_start = max(call.arrived, ring_start)
        wait = (answered - call.arrived).total_seconds()
        s.emit(
            ring_start,
            CallRinging(
                event_id=s.event_id(call.call_id, "ringing", ring_start),
                occurred_at=ring_start,
                source=SOURCE,
                call_id=call.call_id,
                queue=call.queue,
                agent=agent.name,
            ),
        )
        s.emit(
            answered,
            CallAnswered(
                event_id=s.event_id(call.call_id, "answered", answered),
                occurred_at=answered,
                source=SOURCE,
                call_id=call.call_id,
                queue=call.queue,
                agent=agent.name,
                wait_seconds=wait,
                ring_seconds=(answered - ring_start).total_seconds(),
            ),
        )
        talk = (
            s.rng.expovariate(1 / p.talk_median)
            if p.exponential_talk
            else s.lognormal(p.talk_median, p.talk_sigma)
        )
        ended = answered + timedelta(seconds=talk)
        wrapup = 0.0 if p.exponential_talk else s.lognormal(p.wrapup_median, p.wrapup_sigma)
        agent.free_at = ended + timedelta(seconds=wrapup)
        if s.rng.random() < p.transfer_share and len(p.queues) > 1:
            self._transfer(call, agent, ended, wait, talk)
            return
        hold = s.rng.uniform(10, 90) if s.rng.random() < p.hold_share else 0.0
        s.emit(
            ended,
            CallEnded(
                event_id=s.event_id(call.call_id, "ended", ended),
                occurred_at=ended,
                source=SOURCE,
                call_id=call.call_id,
                queue=call.queue,
                agent=agent.name,
                wait_seconds=wait,
                talk_seconds=talk,
                hold_seconds=hold or None,
                wrapup_seconds=wrapup or None,
                ended_by=EndedBy.CALLER if s.rng.random() < 0.6 else EndedBy.AGENT,
            ),
        )

    def _ring_no_answer(self, call: Call, at: datetime) -> None:
        s = self.s
        other = s.rng.choice(self.agents).name
        s.emit(
            at,
            CallRingNoAnswer(
                event_id=s.event_id(call.call_id, "rna", at),
                occurred_at=at,
                source=SOURCE,
                call_id=call.call_id,
                queue=call.queue,
                agent=other,
                ring_seconds=15.0,
            ),
        )

    def _transfer(self, call: Call, agent: Agent, at: datetime, wait: float, talk: float) -> None:
        s = self.s
        target = s.rng.choice([q for q, _ in self.p.queues if q != call.queue])
        s.emit(
            at,
            CallTransferred(
                event_id=s.event_id(call.call_id, "transferred", at),
                occurred_at=at,
                source=SOURCE,
                call_id=call.call_id,
                queue=call.queue,
                kind=TransferKind.BLIND,
                agent=agent.name,
                target_queue=target,
                target_extension=target,
                target_context="from-queue",
                wait_seconds=wait,
                talk_seconds=talk,
            ),
        )
        # The same channel enters the target queue, as Asterisk keeps the caller's uniqueid.
        self.offer(at + timedelta(seconds=1), target, call.call_id)


def simulate_calls(stream: Stream) -> Stream:
    Pbx(stream).run()
    return stream

"""The ticket's state machine, driven by random command sequences (hypothesis): a command is
refused exactly when the issue's table forbids it, and the invariants always hold: one
responsible at a time, stints that add up to the time the ticket was held, a closed ticket with
its resolution."""

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from claims.domain import (
    Outcome,
    Refused,
    Resolution,
    Responsible,
    Rules,
    State,
    Ticket,
    WaitingFor,
    assign,
    close,
    held_time,
    merge,
    open_ticket,
    reopen,
    resolve,
    resume,
    wait_for,
)

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
RULES = Rules(reopen_window=timedelta(days=30))
PEOPLE = st.sampled_from(
    [
        Responsible("anna", "contact_centre"),
        Responsible("marco", "marketing"),
        Responsible("lia", "contact_centre"),
        Responsible("sup-1", "supplier"),
    ]
)
PENDING = {State.PENDING_CUSTOMER, State.PENDING_TEAM, State.PENDING_SUPPLIER}
# The table, written out independently of the module's own sets.
ALLOWED = {
    "assign": {State.NEW, State.OPEN, *PENDING},
    "wait": {State.OPEN},
    "resume": PENDING,
    "resolve": {State.OPEN, *PENDING},
    "close_resolved": {State.RESOLVED},
    "close_unresolved": {State.OPEN, *PENDING, State.RESOLVED},
    "reopen": {State.CLOSED},
    "merge": {State.NEW, State.OPEN, *PENDING, State.RESOLVED},
}


class TicketMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.now = START
        self.ticket = open_ticket("T-1", "anna", START).ticket
        self.held_by_model = timedelta()  # time with a responsible, counted by the test itself
        self.closed_at: datetime | None = None

    @rule(minutes=st.integers(min_value=0, max_value=60 * 24 * 20))
    def time_passes(self, minutes: int) -> None:
        step = timedelta(minutes=minutes)
        if self.ticket.responsible is not None:
            self.held_by_model += step
        self.now += step

    def attempt(self, action: str, command: object) -> None:
        before = self.ticket
        allowed = before.state in ALLOWED[action]
        try:
            outcome = command()  # type: ignore[operator]
        except Refused:
            assert not allowed or self.refused_for_another_reason(action, before)
            return
        assert allowed, f"{action} accepted in {before.state}"
        assert isinstance(outcome, Outcome)
        assert outcome.ticket.version == before.version + 1
        assert [c.from_state for c in outcome.changes][:1] == [before.state]
        self.ticket = outcome.ticket

    def refused_for_another_reason(self, action: str, ticket: Ticket) -> bool:
        """Refusals the state table does not cover: the same holder again, an expired
        reopen window."""
        if action == "assign":
            return True  # checked precisely in `assign_to` below
        if action == "reopen":
            assert ticket.closed_at is not None
            return self.now - ticket.closed_at > RULES.reopen_window
        return False

    @rule(to=PEOPLE)
    def assign_to(self, to: Responsible) -> None:
        same_holder = self.ticket.responsible == to
        before = self.ticket
        self.attempt("assign", lambda: assign(self.ticket, to, "sup", self.now, "hand-over"))
        if same_holder or before.state not in ALLOWED["assign"]:
            assert self.ticket is before
        else:
            assert self.ticket.responsible == to

    @rule(waiting=st.sampled_from(list(WaitingFor)))
    def wait(self, waiting: WaitingFor) -> None:
        self.attempt("wait", lambda: wait_for(self.ticket, waiting, "anna", self.now, "asked"))

    @rule()
    def resume_work(self) -> None:
        self.attempt("resume", lambda: resume(self.ticket, "anna", self.now))

    @rule(outcome=st.sampled_from(["replacement", "refund", "no_fault_found"]))
    def decide(self, outcome: str) -> None:
        self.attempt("resolve", lambda: resolve(self.ticket, outcome, "anna", self.now, "why"))

    @rule(resolution=st.sampled_from(list(Resolution)))
    def close_it(self, resolution: Resolution) -> None:
        action = f"close_{resolution.value}"
        self.attempt(action, lambda: close(self.ticket, resolution, "anna", self.now, "done"))

    @rule()
    def reopen_it(self) -> None:
        self.attempt("reopen", lambda: reopen(self.ticket, "anna", self.now, "again", RULES))

    @rule()
    def merge_it(self) -> None:
        self.attempt("merge", lambda: merge(self.ticket, "T-2", "sup", self.now, "duplicate"))

    @invariant()
    def one_responsible_at_a_time(self) -> None:
        open_stints = [s for s in self.ticket.stints if s.ended_at is None]
        assert len(open_stints) <= 1
        assert open_stints == list(self.ticket.stints[-1:]) or not open_stints
        held = self.ticket.state in {State.OPEN, *PENDING, State.RESOLVED}
        assert (self.ticket.responsible is not None) == held

    @invariant()
    def stints_follow_each_other_and_add_up(self) -> None:
        stints = self.ticket.stints
        for earlier, later in itertools.pairwise(stints):
            assert earlier.ended_at is not None
            assert earlier.ended_at <= later.started_at
        total = sum(held_time(self.ticket, self.now).values(), timedelta())
        assert total == self.held_by_model

    @invariant()
    def a_closed_ticket_has_its_resolution(self) -> None:
        state = self.ticket.state
        assert (self.ticket.resolution is not None) == (state is State.CLOSED)
        if self.ticket.resolution is Resolution.RESOLVED:
            assert self.ticket.decision is not None
        assert (self.ticket.merged_into is not None) == (state is State.MERGED)


TestTicketStates = TicketMachine.TestCase
TestTicketStates.settings = settings(max_examples=200, stateful_step_count=40, deadline=None)


def test_a_ticket_opened_with_a_responsible_is_open_in_their_hands() -> None:
    anna = Responsible("anna", "contact_centre")
    outcome = open_ticket("T-9", "anna", START, first=anna)
    assert (outcome.ticket.state, outcome.ticket.responsible, outcome.ticket.version) == (
        State.OPEN,
        anna,
        1,
    )
    assert [c.kind for c in outcome.changes] == ["opened", "assigned"]


def test_the_chain_back_to_the_contact_centre_counts_two_stints() -> None:
    anna, marco = Responsible("anna", "contact_centre"), Responsible("marco", "marketing")
    ticket = open_ticket("T-1", "anna", START, first=anna).ticket
    ticket = assign(ticket, marco, "anna", START + timedelta(hours=2), "instructions").ticket
    ticket = assign(ticket, anna, "marco", START + timedelta(hours=5), "pdf attached").ticket
    end = START + timedelta(hours=6)
    assert held_time(ticket, end) == {anna: timedelta(hours=3), marco: timedelta(hours=3)}
    assert [s.holder.team for s in ticket.stints] == [
        "contact_centre",
        "marketing",
        "contact_centre",
    ]


@pytest.mark.parametrize(("days", "refused"), [(29, False), (31, True)], ids=["inside", "after"])
def test_reopening_is_refused_after_the_window(days: int, refused: bool) -> None:
    anna = Responsible("anna", "contact_centre")
    ticket = open_ticket("T-1", "anna", START, first=anna).ticket
    ticket = resolve(ticket, "replacement", "anna", START, "broken axle").ticket
    ticket = close(ticket, Resolution.RESOLVED, "anna", START, None).ticket
    later = START + timedelta(days=days)
    if refused:
        with pytest.raises(Refused, match="more than 30 days ago"):
            reopen(ticket, "anna", later, "still broken", RULES)
    else:
        assert reopen(ticket, "anna", later, "still broken", RULES).ticket.responsible == anna

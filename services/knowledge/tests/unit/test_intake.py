"""Events into the mining input, with an in-memory store: which cases and claims join, which
leave, and that nothing personal is kept."""

from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any

from cc_schemas import (
    CaseMerged,
    CaseOutcome,
    CaseResolved,
    ClaimOutcome,
    Resolution,
    TicketClosed,
    TicketOpened,
    TicketState,
    TicketStateChanged,
)
from knowledge.handlers import record_case_event, record_ticket_event
from knowledge.intake import ClaimHalves, MiningCase

T0 = datetime(2026, 11, 2, 9, tzinfo=UTC)


class MemoryInput:
    def __init__(self) -> None:
        self.cases: dict[str, MiningCase] = {}
        self.halves: dict[str, dict[str, Any]] = {}

    async def keep(self, case: MiningCase) -> None:
        self.cases[case.prepared.case_id] = case

    async def drop(self, case_id: str) -> None:
        self.cases.pop(case_id, None)

    async def claim_half(self, ticket_id: str, **fields: Any) -> ClaimHalves:
        empty = {f: None for f in asdict(ClaimHalves("", *[None] * 6)) if f != "ticket_id"}
        held = self.halves.setdefault(ticket_id, empty)
        held.update(fields)
        return ClaimHalves(ticket_id, **held)

    async def erase_customer(self, customer_id: str) -> int:
        return 0


def resolved(outcome: CaseOutcome, case_id: str = "K-1") -> CaseResolved:
    return CaseResolved(
        event_id=f"{case_id}-{outcome}", occurred_at=T0, source="crm", case_id=case_id,
        customer_id="C-1", outcome=outcome, close_reason="solved",
        problem="Hi, the puzzle has a piece missing. Giulia Bianchi", resolution="Piece sent.",
        opened_at=T0 - timedelta(days=1), contacts=(),
    )  # fmt: skip


def opened() -> TicketOpened:
    return TicketOpened(
        event_id="T-1-opened", occurred_at=T0, source="claims", ticket_id="T-1",
        customer_id="C-2", channel="phone", cluster="damaged_on_arrival",
        subject="Box crushed, ring me on +39 333 765 4321", opened_by="anna",
        team="contact_centre", product_code="PZL-100",
    )  # fmt: skip


def closed(resolution: Resolution, note: str | None = None) -> TicketClosed:
    return TicketClosed(
        event_id=f"T-1-closed-{resolution}", occurred_at=T0 + timedelta(days=2), source="claims",
        ticket_id="T-1", resolution=resolution, outcome=ClaimOutcome.REFUND, closed_by="anna",
        note=note,
    )  # fmt: skip


async def test_a_solved_case_joins_scrubbed_and_a_merged_one_leaves() -> None:
    store = MemoryInput()
    await record_case_event(resolved(CaseOutcome.RESOLVED), store)
    case = store.cases["case:K-1"]
    assert (case.prepared.question, case.prepared.resolution, case.customer_id) == (
        "the puzzle has a piece missing. [name]",
        "Piece sent.",
        "C-1",
    )
    merged = CaseMerged(
        event_id="m", occurred_at=T0, source="crm", case_id="K-1", into_case_id="K-2",
        contacts_moved=1,
    )  # fmt: skip
    await record_case_event(merged, store)
    assert store.cases == {}


async def test_a_case_closed_without_a_solution_teaches_nothing() -> None:
    store = MemoryInput()
    await record_case_event(resolved(CaseOutcome.CLOSED), store)
    assert store.cases == {}


async def test_a_claim_joins_when_both_halves_are_in_whatever_their_order() -> None:
    store = MemoryInput()
    await record_ticket_event(closed(Resolution.RESOLVED), store)
    assert store.cases == {}
    await record_ticket_event(opened(), store)
    claim = store.cases["claim:T-1"]
    assert (claim.prepared.question, claim.prepared.resolution, claim.product) == (
        "Box crushed, ring me on [phone]",
        "We refunded the purchase.",
        "PZL-100",
    )


async def test_an_unresolved_or_reopened_claim_is_not_in_the_input() -> None:
    store = MemoryInput()
    await record_ticket_event(opened(), store)
    await record_ticket_event(closed(Resolution.UNRESOLVED), store)
    assert store.cases == {}
    await record_ticket_event(closed(Resolution.RESOLVED, note="Refund of 20 EUR sent"), store)
    assert store.cases["claim:T-1"].prepared.resolution == "Refund of 20 EUR sent"
    reopened = TicketStateChanged(
        event_id="r", occurred_at=T0 + timedelta(days=3), source="claims", ticket_id="T-1",
        from_state=TicketState.CLOSED, to_state=TicketState.OPEN, changed_by="anna",
    )  # fmt: skip
    await record_ticket_event(reopened, store)
    assert store.cases == {}

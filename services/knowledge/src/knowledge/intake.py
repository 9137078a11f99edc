"""What enters the mining input, decided from each event without I/O: a crm case resolved with
its problem and resolution, a claim whose subject and closing have both arrived. Only resolved
cases teach an answer; a reopened or merged one leaves the input."""

from dataclasses import dataclass
from datetime import datetime

from cc_schemas import CaseOutcome, CaseResolved, ClaimOutcome
from knowledge.mining.pipeline import PreparedCase, RawCase, prepare

# A claim's decision in words when its closing note says nothing more.
OUTCOME_WORDS = {
    ClaimOutcome.REFUND: "We refunded the purchase.",
    ClaimOutcome.REPLACEMENT: "We sent a replacement.",
    ClaimOutcome.NO_FAULT_FOUND: "No fault was found: the instructions explain how to use it.",
    ClaimOutcome.SPARE_PART_SENT: "We sent the spare part.",
    ClaimOutcome.VOUCHER: "We offered a voucher.",
    ClaimOutcome.REPAIR: "We repaired it.",
    ClaimOutcome.CREDIT_NOTE: "We issued a credit note.",
    ClaimOutcome.REJECTED: "The claim could not be accepted.",
    ClaimOutcome.DISPOSED_BY_CUSTOMER: "The customer may dispose of the item; no return needed.",
    ClaimOutcome.NONE: "",
}


@dataclass(frozen=True)
class MiningCase:
    prepared: PreparedCase
    source: str
    customer_id: str | None
    product: str | None


def case_key(case_id: str) -> str:
    return f"case:{case_id}"


def claim_key(ticket_id: str) -> str:
    return f"claim:{ticket_id}"


def from_resolved_case(event: CaseResolved) -> MiningCase | None:
    """A crm case solved: its problem and resolution, scrubbed. Cases closed without a
    solution teach nothing."""
    if event.outcome != CaseOutcome.RESOLVED:
        return None
    raw = RawCase(case_key(event.case_id), event.problem, event.resolution, event.occurred_at)
    prepared = prepare(raw)
    if prepared is None:
        return None
    return MiningCase(prepared, "crm", event.customer_id, event.product)


def claim_resolution(outcome: ClaimOutcome | None, note: str | None) -> str:
    """The note the closer wrote, else the decision in words."""
    if note and note.strip():
        return note
    return OUTCOME_WORDS.get(outcome, "") if outcome else ""


@dataclass(frozen=True)
class ClaimHalves:
    ticket_id: str
    customer_id: str | None
    question: str | None
    product: str | None
    resolution: str | None
    resolved: bool | None
    closed_at: datetime | None


def from_claim(halves: ClaimHalves) -> MiningCase | None:
    """The claim once both halves are in and it was resolved; None until then."""
    if halves.question is None or halves.closed_at is None or not halves.resolved:
        return None
    raw = RawCase(
        claim_key(halves.ticket_id), halves.question, halves.resolution or "", halves.closed_at
    )
    prepared = prepare(raw)
    if prepared is None:
        return None
    return MiningCase(prepared, "claims", halves.customer_id, halves.product)

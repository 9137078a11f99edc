"""crm's use cases: store a customer record from customer-events, import customers from CSV,
follow orders (order-events) and claims (ticket-opened / ticket-closed), recognise callers on
call-events and publish contact.identified (contact-identifications).
They talk to the repository through its Protocol and do no other I/O."""

from __future__ import annotations

import codecs
import logging
import uuid
from collections.abc import AsyncIterable, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime

from cc_runtime import AuditEntry
from cc_schemas import (
    Actor,
    AnyCallEvent,
    AnyChatEvent,
    AnyCustomerEvent,
    AnyOrderEvent,
    CallAbandoned,
    CallAnswered,
    CallEnded,
    CallExited,
    CallOffered,
    CallTransferred,
    CaseProposal,
    ChatStarted,
    ContactIdentified,
    CustomerErased,
    CustomerSummary,
    IdentificationLevel,
    InteractionChannel,
    MatchedBy,
    TicketClosed,
    TicketOpened,
    make_event_id,
)
from crm.cases import ContactFacts, OpenCase, ProposalRule, propose
from crm.contact_points import (
    InvalidContactPoint,
    caller_phone,
    normalise_email,
    normalise_handle,
)
from crm.customer_csv import BadHeader, Header, Record, RecordSplitter, Rejected, map_row
from crm.customers import Customer, from_profile
from crm.interaction_repository import ContactEnd, ContactRepository, ContactStart
from crm.interactions import chat_change, chat_started
from crm.order_requests import (
    Ask,
    OrderState,
    Pending,
    RequestKind,
    Settled,
    command_for,
    refusal_with,
    settlement,
)
from crm.orders import change_of
from crm.recognition import Identification, Presented, identify
from crm.repository import (
    CustomerRepository,
    CustomerSearch,
    Erased,
    Erasure,
    ErasureRepository,
    NewRequest,
    OrderRepository,
    OrderRequestRepository,
    Reads,
)
from crm.strategic import StrategicRule
from crm.summary import summary_of, window
from crm.views import (
    ContactPage,
    ContactView,
    Customer360,
    OpenCaseView,
    OrderView,
    PhoneView,
    cursor_of,
)

log = logging.getLogger(__name__)
SOURCE = "crm"
NOT_UTF8 = "\ufffd"


async def record_customer_event(
    event: AnyCustomerEvent,
    repository: CustomerRepository,
    erasures: ErasureRepository,
    region: str,
) -> bool:
    """Store the record an event carries, or erase the customer it names, once; False when
    it was applied before."""
    if isinstance(event, CustomerErased):
        erased = await erasures.erase(
            Erasure(event.customer_id, event.occurred_at, event.reason, event_id=event.event_id)
        )
        return not erased.already
    customer = from_profile(event, region)
    if customer.problems:
        log.warning(
            "customer record with unusable contact points",
            extra={"customer_id": customer.customer_id, "problems": list(customer.problems)},
        )
    return await repository.apply(event.event_id, customer)


@dataclass
class ImportReport:
    lines: int = 0  # physical lines read, the header included
    rows: int = 0
    imported: int = 0
    rejected: int = 0
    rejections: list[Rejected] = field(default_factory=list)
    possible_duplicates: int = 0
    duplicate_examples: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class ImportLimits:
    batch_rows: int = 1000
    rejections_listed: int = 1000
    duplicate_examples: int = 100


class CustomerImport:
    """One CSV import: feed it text, it stores customers batch by batch and keeps the report.
    A row that does not parse is rejected with its line number; the import goes on."""

    def __init__(
        self,
        repository: CustomerRepository,
        region: str,
        imported_at: datetime,
        limits: ImportLimits,
    ) -> None:
        self.repository, self.region, self.imported_at = repository, region, imported_at
        self.limits = limits
        self.report = ImportReport()
        self._splitter = RecordSplitter()
        self._header: Header | None = None
        self._batch: list[Customer] = []

    async def feed(self, text: str) -> None:
        for record in self._splitter.feed(text):
            await self._take(record)

    async def finish(self) -> ImportReport:
        for record in self._splitter.end():
            await self._take(record)
        if self._header is None:
            raise BadHeader("the file is empty: it needs a header line naming its columns")
        await self._flush()
        self.report.lines = self._splitter.lines_read
        return self.report

    async def _take(self, record: Record) -> None:
        if self._header is None:
            self._header = Header.parse(record)
            return
        self.report.rows += 1
        outcome = (
            Rejected(record.line, "not UTF-8 text")
            if any(NOT_UTF8 in f for f in record.fields)
            else map_row(self._header, record, self.region, self.imported_at)
        )
        if isinstance(outcome, Rejected):
            self._reject(outcome)
            return
        self._batch.append(outcome)
        if len(self._batch) >= self.limits.batch_rows:
            await self._flush()

    def _reject(self, rejected: Rejected) -> None:
        self.report.rejected += 1
        if len(self.report.rejections) < self.limits.rejections_listed:
            self.report.rejections.append(rejected)

    async def _flush(self) -> None:
        if not self._batch:
            return
        batch, self._batch = self._batch, []
        self.report.imported += await self.repository.upsert(batch)
        duplicates = await self.repository.duplicates_of([c.customer_id for c in batch])
        self.report.possible_duplicates += len(duplicates)
        room = self.limits.duplicate_examples - len(self.report.duplicate_examples)
        for customer_id, others in list(duplicates.items())[: max(room, 0)]:
            self.report.duplicate_examples[customer_id] = others


async def import_csv(
    chunks: AsyncIterable[bytes],
    repository: CustomerRepository,
    region: str,
    imported_at: datetime,
    limits: ImportLimits,
) -> ImportReport:
    """Import a CSV arriving in byte chunks (UTF-8, a BOM allowed)."""
    work = CustomerImport(repository, region, imported_at, limits)
    decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="replace")
    async for chunk in chunks:
        await work.feed(decoder.decode(chunk))
    await work.feed(decoder.decode(b"", final=True))
    return await work.finish()


async def record_order_event(event: AnyOrderEvent, orders: OrderRepository) -> bool:
    """Apply an order's change once, settling the request waiting on the order (confirmed by
    this event, or overtaken by it); False when it was applied before."""
    change = change_of(event)

    def settle(kind: RequestKind, order: OrderState) -> Settled | None:
        return settlement(kind, change.event_type, change.reason, order)

    return await orders.apply(event.event_id, change, settle)


async def request_order_change(
    order_id: str,
    ask: Ask,
    write: AuditEntry,
    requests: OrderRequestRepository,
    written: Callable[[], None],
) -> NewRequest | str | None:
    """An operator's request on an order: refused with the reason when the order cannot take
    it (before anything is published), else stored, audited and published on order-commands
    together. None when crm does not know the order."""
    request_id = str(uuid.uuid4())
    actor = Actor(subject=write.subject, role=write.role)

    def decide(order: OrderState, pending: Pending | None) -> NewRequest | str:
        why = refusal_with(ask.kind, order, pending)
        if why is not None:
            return why
        return NewRequest(
            request_id=request_id,
            order_id=order_id,
            kind=ask.kind,
            reason=ask.reason,
            detail=ask.detail(),
            write=write,
            command=command_for(ask, order, request_id, actor, write.at),
        )

    decided = await requests.request(order_id, decide)
    if isinstance(decided, NewRequest):
        written()
    return decided


Publish = Callable[[ContactIdentified], Awaitable[None]]
OpenCases = Callable[[str], Awaitable[list[OpenCase]]]


async def no_open_cases(customer_id: str) -> list[OpenCase]:
    return []


@dataclass(frozen=True)
class Recognition:
    """What recognising a contact needs: its reads (lookups, summaries), the contacts it records,
    where it publishes, the strategic rule and the region of numbers without a prefix."""

    reading: Callable[[], AbstractAsyncContextManager[Reads]]
    contacts: ContactRepository
    publish: Publish
    rule: StrategicRule
    region: str
    max_candidates: int = 10
    open_cases: OpenCases = no_open_cases
    proposal_rule: ProposalRule = field(default_factory=ProposalRule)


async def case_proposal(
    customer_id: str | None, started_at: datetime, deps: Recognition
) -> CaseProposal | None:
    """The known customer's open case a new contact most likely belongs to (only the customer
    and the time are known when it starts: recency decides between their open cases)."""
    if customer_id is None:
        return None
    facts = ContactFacts(customer_id=customer_id, started_at=started_at)
    found = propose(facts, await deps.open_cases(customer_id), deps.proposal_rule)
    if not found:
        return None
    best = found[0]
    return CaseProposal(case_id=best.case_id, title=best.title, score=best.score, why=best.why)


async def summaries_of(
    customer_ids: Sequence[str], reader: Reads, rule: StrategicRule, now: datetime
) -> list[CustomerSummary]:
    if not customer_ids:
        return []
    rows = await reader.summary_rows(customer_ids, window(rule, now))
    return [summary_of(row, rule) for row in rows]


async def look_up(
    presented: Presented, deps: Recognition, now: datetime
) -> tuple[Identification, list[CustomerSummary]]:
    async with deps.reading() as reads:
        found = await identify(presented, reads.lookups)
        ids = found.customer_ids[: deps.max_candidates]
        return found, await summaries_of(ids, reads, deps.rule, now)


async def recognise_call(event: CallOffered, deps: Recognition) -> ContactIdentified:
    """Who is calling: the contact recorded with its identification, then published. A
    redelivery records the same and publishes the same event_id again."""
    caller = event.caller
    phone = None if caller.withheld else caller_phone(caller.e164 or caller.number_raw, deps.region)
    # Event time, not the wall clock: a replay decides what the live call decided.
    found, candidates = await look_up(Presented(phone=phone), deps, event.occurred_at)
    known = candidates[0] if found.level is IdentificationLevel.KNOWN and candidates else None
    await deps.contacts.started(
        event.event_id,
        ContactStart(
            contact_id=event.call_id,
            channel=InteractionChannel.PHONE.value,
            customer_id=known.customer_id if known else None,
            level=found.level.value,
            presented=found.presented,
            queue=event.queue,
            started_at=event.occurred_at,
        ),
    )
    identified = ContactIdentified(
        event_id=make_event_id(SOURCE, event.call_id, "contact.identified"),
        occurred_at=event.occurred_at,
        source=SOURCE,
        contact_id=event.call_id,
        channel=InteractionChannel.PHONE,
        level=found.level,
        matched_by=found.matched_by,
        presented=found.presented,
        customer_id=known.customer_id if known else None,
        candidates=tuple(candidates),
        strategic_level=known.strategic_level if known else None,
        competence_needed=known.competence_needed if known else None,
        case_proposal=await case_proposal(
            known.customer_id if known else None, event.occurred_at, deps
        ),
    )
    await deps.publish(identified)
    return identified


async def record_call_event(event: AnyCallEvent, deps: Recognition) -> None:
    """Recognise an offered call; follow its answer and end on the contact (each change once,
    published on interactions)."""
    contacts, event_id = deps.contacts, event.event_id
    match event:
        case CallOffered():
            await recognise_call(event, deps)
        case CallAnswered():
            await contacts.answered(
                event_id, event.call_id, event.occurred_at, event.agent, event.wait_seconds
            )
        case CallEnded() | CallTransferred():
            outcome = "answered" if isinstance(event, CallEnded) else "transferred"
            await contacts.ended(
                event_id,
                ContactEnd(
                    event.call_id,
                    event.occurred_at,
                    event.agent,
                    event.wait_seconds,
                    event.talk_seconds,
                    outcome,
                ),
            )
        case CallAbandoned() | CallExited():
            outcome = "abandoned" if isinstance(event, CallAbandoned) else "exited"
            await contacts.ended(
                event_id,
                ContactEnd(
                    event.call_id, event.occurred_at, None, event.wait_seconds, None, outcome
                ),
            )
        case _:  # ringing, ring-no-answer and outbound calls tell a contact nothing new yet
            return


async def record_chat_event(event: AnyChatEvent, deps: Recognition) -> None:
    """A chat is one contact: started (its visitor recognised), joined by an operator, first
    replied to, ended."""
    if isinstance(event, ChatStarted):
        await recognise_chat(event, deps)
        return
    change = chat_change(event)
    if change is not None:
        await deps.contacts.chat(event.event_id, change, event.occurred_at)


async def recognise_chat(event: ChatStarted, deps: Recognition) -> ContactIdentified:
    """Who is chatting: the customer the shop named, else whoever has the e-mail or social
    handle the visitor gave; recorded on the contact and published as calls are."""
    at = event.occurred_at
    if event.customer_id:
        found = Identification(
            IdentificationLevel.KNOWN, MatchedBy.CUSTOMER_ID, None, (event.customer_id,)
        )
        async with deps.reading() as reads:
            candidates = await summaries_of(found.customer_ids, reads, deps.rule, at)
    else:
        found, candidates = await look_up(_chat_presents(event), deps, at)
    known_id = found.customer_ids[0] if found.level is IdentificationLevel.KNOWN else None
    await deps.contacts.chat(
        event.event_id, chat_started(event, known_id, found.level.value, found.presented), at
    )
    known = candidates[0] if known_id and candidates else None
    identified = ContactIdentified(
        event_id=make_event_id(SOURCE, event.chat_id, "contact.identified"),
        occurred_at=at,
        source=SOURCE,
        contact_id=event.chat_id,
        channel=InteractionChannel.CHAT,
        level=found.level,
        matched_by=found.matched_by,
        presented=found.presented,
        customer_id=known_id,
        candidates=tuple(candidates),
        strategic_level=known.strategic_level if known else None,
        competence_needed=known.competence_needed if known else None,
        case_proposal=await case_proposal(known_id, at, deps),
    )
    await deps.publish(identified)
    return identified


def _chat_presents(event: ChatStarted) -> Presented:
    """The visitor's e-mail and handle normalised; one that cannot be one is not looked up
    (the chat is still recorded, as anonymous or by the other)."""
    email = handle = None
    try:
        email = normalise_email(event.email) if event.email else None
    except InvalidContactPoint as error:
        log.warning(
            "chat with an unusable e-mail", extra={"chat_id": event.chat_id, "error": str(error)}
        )
    try:
        handle = normalise_handle(event.social_handle) if event.social_handle else None
    except InvalidContactPoint as error:
        log.warning(
            "chat with an unusable handle", extra={"chat_id": event.chat_id, "error": str(error)}
        )
    return Presented(email=email, handle=handle)


async def record_claim(event: TicketOpened | TicketClosed, orders: OrderRepository) -> None:
    """An open claim raises a customer's strategic level; a closed one no longer does."""
    if isinstance(event, TicketOpened):
        await orders.claim_opened(event.ticket_id, event.customer_id, event.occurred_at)
    else:
        await orders.claim_closed(event.ticket_id, event.occurred_at)


async def customer_360(
    customer_id: str,
    deps: Recognition,
    page: tuple[tuple[datetime, str], int],
    now: datetime,
) -> Customer360 | None:
    """Everything an operator sees of one customer; None when crm does not know the id."""
    before, limit = page
    async with deps.reading() as reads:
        parts = await reads.customer_parts(customer_id, before, limit + 1)
        if parts is None:
            return None
        (summary,) = await summaries_of([customer_id], reads, deps.rule, now)
    record, contacts = parts["record"], parts["contacts"]
    more = len(contacts) > limit
    profile = record["profile"]
    return Customer360(
        customer_id=customer_id,
        first_name=record["first_name"],
        last_name=record["last_name"],
        language=record["language"],
        loyalty_tier=record["loyalty_tier"],
        strategic_level=summary.strategic_level,
        strategic_reason=summary.strategic_reason,
        competence_needed=record["competence_needed"],
        phones=[PhoneView(**p) for p in parts["phones"]],
        emails=profile.get("emails", []),
        social_handles=profile.get("social_handles", []),
        addresses=profile.get("addresses", []),
        consents=profile.get("consents", []),
        opt_outs=profile.get("opt_outs", []),
        possible_duplicates=parts["duplicates"],
        open_claims=summary.open_claims,
        orders_in_progress=[OrderView(**o) for o in parts["orders"]],
        open_cases=[OpenCaseView(**c) for c in parts["open_cases"]],
        contacts=ContactPage(
            contacts=[ContactView(**c) for c in contacts[:limit]],
            next_cursor=cursor_of(contacts[limit - 1]) if more else None,
        ),
        updated_at=record["updated_at"],
        source=record["source"],
    )


async def erase_customer(
    customer_id: str,
    reason: str | None,
    write: AuditEntry,
    erasures: ErasureRepository,
    written: Callable[[], None],
) -> Erased:
    """An admin's erasure: the customer forgotten, the write audited and customer.erased
    published (through the outbox, in the erasure's transaction) so that every service drops
    what it holds of them. Its event_id derives from the customer: asking twice publishes one
    erasure, and crm reading its own event back finds the customer already erased."""
    event = CustomerErased(
        event_id=make_event_id(SOURCE, customer_id, "customer.erased"),
        occurred_at=write.at,
        source=SOURCE,
        customer_id=customer_id,
        reason=reason,
        actor=Actor(subject=write.subject, role=write.role),
    )
    erased = await erasures.erase(
        Erasure(customer_id, write.at, reason, write=write, publish=event)
    )
    if erased.known and not erased.already:
        written()
    return erased


@dataclass(frozen=True)
class CustomerQuery:
    """What the operator has: any of a name (with a postcode to narrow it), a postcode, an
    e-mail, a phone (already normalised), an order number."""

    name: str | None = None
    postcode: str | None = None
    email: str | None = None
    phone: tuple[str, str] | None = None  # (E.164, national significant number)
    order_id: str | None = None


@dataclass(frozen=True)
class Found:
    summary: CustomerSummary
    matched_by: tuple[str, ...]
    score: float


async def search_customers(
    query: CustomerQuery, search: CustomerSearch, deps: Recognition, now: datetime, limit: int
) -> list[Found]:
    """Customers matching any of what the operator gave, best first: exact matches (phone,
    order, postcode) score 1, names and e-mails their trigram similarity (typos, accents)."""
    hits: dict[str, tuple[float, list[str]]] = {}
    for matched_by, found in await _searches(query, search, limit):
        for customer_id, score in found:
            best, why = hits.get(customer_id, (0.0, []))
            hits[customer_id] = (max(best, score), [*why, matched_by])
    ranked = sorted(hits, key=lambda c: (-hits[c][0], c))[:limit]
    async with deps.reading() as reads:
        summaries = {s.customer_id: s for s in await summaries_of(ranked, reads, deps.rule, now)}
    return [
        Found(summaries[c], tuple(hits[c][1]), round(hits[c][0], 3))
        for c in ranked
        if c in summaries
    ]


async def _searches(
    query: CustomerQuery, search: CustomerSearch, limit: int
) -> list[tuple[str, list[tuple[str, float]]]]:
    done = []
    if query.name:
        done.append(("name", await search.by_name(query.name, query.postcode, limit)))
    elif query.postcode:
        done.append(("postcode", await search.by_postcode(query.postcode, limit)))
    if query.email:
        done.append(("email", await search.by_email(query.email, limit)))
    if query.phone:
        done.append(("phone", await search.by_phone(*query.phone, limit)))
    if query.order_id:
        done.append(("order", await search.by_order(query.order_id, limit)))
    return done

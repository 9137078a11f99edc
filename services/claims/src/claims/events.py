"""What a ticket's changes publish: `ticket.opened`, `ticket.assigned`, `ticket.closed`, and
`ticket.state_changed` / `ticket.merged` for the steps between. Pure: changes in, events out.

Event ids are made from the ticket, its version after the command and the change's place in
it, so a command's events get the same ids however often the relay sends them."""

from __future__ import annotations

from datetime import datetime

from cc_schemas import (
    TICKET_ASSIGNED,
    TICKET_CHANGES,
    TICKET_CLOSED,
    TICKET_OPENED,
    Actor,
    ClaimOutcome,
    Event,
    Resolution,
    SlaBreached,
    SlaTarget,
    SlaWarning,
    Team,
    TicketAssigned,
    TicketChannel,
    TicketClosed,
    TicketMerged,
    TicketOpened,
    TicketPriority,
    TicketState,
    TicketStateChanged,
    make_event_id,
)
from claims.details import Details, Stored
from claims.domain import Change, Responsible, Ticket
from claims.sla import Level, Target

SOURCE = "claims"
DEFAULT_TEAM = Team.CONTACT_CENTRE


def events_of(
    before: Ticket | None,
    after: Ticket,
    details: Details,
    changes: tuple[Change, ...],
    actor: Actor,
) -> list[tuple[str, Event]]:
    """The (topic, event) pairs of one command's changes, in order."""
    published: list[tuple[str, Event]] = []
    holders = [s.holder for s in after.stints]
    previous = before.last_responsible if before is not None else None
    for place, change in enumerate(changes):
        common = {
            "event_id": make_event_id(SOURCE, after.ticket_id, after.version, place),
            "occurred_at": change.at,
            "source": SOURCE,
            "ticket_id": after.ticket_id,
            "actor": actor,
        }
        if change.kind == "opened":
            first = holders[0] if holders else None
            published.append((TICKET_OPENED, _opened(common, details, change, first)))
        elif change.kind == "assigned" and place > 0 and changes[0].kind == "opened":
            continue  # the first responsible is on ticket.opened (its `assignee`)
        elif change.kind == "assigned":
            holder = after.stints[-1].holder
            event = TicketAssigned(
                **common,
                assignee=holder.person,
                team=Team(holder.team),
                previous_assignee=previous.person if previous else None,
                previous_team=Team(previous.team) if previous else None,
                assigned_by=change.by,
                reason=change.reason,
            )
            published.append((TICKET_ASSIGNED, event))
        elif change.kind == "closed":
            published.append((TICKET_CLOSED, _closed(common, after, change)))
        elif change.kind in ("checked", "customer_message"):
            continue  # a checklist walked, a customer's message: in the timeline, not a step
        elif change.kind == "merged":
            assert after.merged_into is not None
            merged = TicketMerged(
                **common,
                into_ticket_id=after.merged_into,
                merged_by=change.by,
                reason=change.reason,
            )
            published.append((TICKET_CHANGES, merged))
        else:
            published.append((TICKET_CHANGES, _state_changed(common, after, change)))
    return published


def _opened(
    common: dict[str, object], details: Details, change: Change, first: Responsible | None
) -> TicketOpened:
    return TicketOpened(
        **common,
        customer_id=details.customer_id,
        case_id=details.case_id,
        channel=TicketChannel(details.channel),
        cluster=details.cluster,
        subject=details.subject,
        order_id=details.order_id,
        product_code=details.product_code,
        priority=TicketPriority(details.priority.value),
        opened_by=change.by,
        assignee=first.person if first is not None else None,
        team=Team(first.team) if first is not None else DEFAULT_TEAM,
    )


def _closed(common: dict[str, object], after: Ticket, change: Change) -> TicketClosed:
    assert after.resolution is not None
    decided = after.decision.outcome if after.decision is not None else None
    return TicketClosed(
        **common,
        resolution=Resolution(after.resolution.value),
        outcome=ClaimOutcome(decided) if decided is not None else None,
        closed_by=change.by,
        note=change.reason,
    )


def _state_changed(common: dict[str, object], after: Ticket, change: Change) -> TicketStateChanged:
    assert change.from_state is not None
    outcome = after.decision.outcome if change.kind == "resolved" and after.decision else None
    return TicketStateChanged(
        **common,
        from_state=TicketState(change.from_state.value),
        to_state=TicketState(change.to_state.value),
        changed_by=change.by,
        reason=change.reason,
        outcome=ClaimOutcome(outcome) if outcome is not None else None,
    )


def sla_event(
    stored: Stored, target: Target, level: Level, due_at: datetime, policy: str, now: datetime
) -> SlaWarning | SlaBreached:
    """`sla.warning` / `sla.breached` for one deadline; one id per ticket, target, level and
    deadline (the watcher's store also keeps each once)."""
    ticket, details = stored.ticket, stored.details
    holder = ticket.responsible
    kind = SlaWarning if level is Level.WARNING else SlaBreached
    return kind(
        event_id=make_event_id(
            SOURCE, ticket.ticket_id, target.value, level.value, due_at.isoformat()
        ),
        occurred_at=now,
        source=SOURCE,
        ticket_id=ticket.ticket_id,
        target=SlaTarget(target.value),
        due_at=due_at,
        policy=policy,
        cluster=details.cluster,
        priority=TicketPriority(details.priority.value),
        team=Team(holder.team) if holder else None,
        assignee=holder.person if holder else None,
    )

"""Interactions: every contact (call, chat) as one interaction, published whole on
`interactions` at each change with its version. Pure: the event a stored contact makes, the
operator's edit and its version check, what each chat event changes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cc_schemas import (
    Actor,
    AnyChatEvent,
    ChatAgentJoined,
    ChatEnded,
    ChatMessageSent,
    ChatOrigin,
    ChatParty,
    ChatStarted,
    Direction,
    InteractionChannel,
    InteractionLink,
    InteractionRecorded,
    make_event_id,
)
from crm.contact_points import InvalidContactPoint, Phone, normalise_phone

SOURCE = "crm"


MOMENTS = ("started_at", "answered_at", "first_response_at", "ended_at", "updated_at", "linked_at")


def changed_at(row: dict[str, Any], at: datetime | None = None) -> datetime:
    """When this version happened: `at` (an operator's write) or the contact's latest moment,
    whichever is later, so a later version never has an earlier time (readers that keep the
    latest by event time, as kpi does, keep the highest version)."""
    moments: list[datetime] = [row[m] for m in MOMENTS if row.get(m) is not None]
    return max([*moments, at] if at is not None else moments)


def recorded(
    row: dict[str, Any], at: datetime | None = None, actor: Actor | None = None
) -> InteractionRecorded:
    """The interaction as stored, published as it now is. Its event_id derives from the
    interaction and its version, so a change published twice is one event to readers."""
    link = None
    if row["linked_by"] is not None and row["customer_id"] is not None:
        link = InteractionLink(
            customer_id=row["customer_id"],
            previous_level=row["linked_from_level"],
            linked_by=row["linked_by"],
            linked_at=row["linked_at"],
        )
    return InteractionRecorded(
        event_id=make_event_id(SOURCE, row["contact_id"], "interaction", str(row["version"])),
        occurred_at=changed_at(row, at),
        source=SOURCE,
        actor=actor,
        interaction_id=row["contact_id"],
        customer_id=row["customer_id"],
        case_id=row["case_id"],
        channel=InteractionChannel(row["channel"]),
        direction=Direction(row["direction"]),
        agent=row["agent"],
        external_id=row["contact_id"],
        started_at=row["started_at"],
        first_response_at=row["first_response_at"],
        ended_at=row["ended_at"],
        resolved=row["resolved"],
        version=row["version"],
        level=row["level"],
        queue=row["queue"],
        wait_seconds=row["wait_seconds"],
        talk_seconds=row["talk_seconds"],
        outcome=row["outcome"],
        reason=row["reason"],
        notes=row["notes"],
        order_id=row["order_id"],
        product=row["product"],
        link=link,
    )


@dataclass(frozen=True)
class InteractionEdit:
    """What an operator writes on a contact; None leaves a field as it is."""

    reason: str | None = None
    notes: str | None = None
    order_id: str | None = None
    product: str | None = None
    resolved: bool | None = None

    def applied_to(self, row: dict[str, Any]) -> dict[str, Any]:
        """The row's editable fields after the edit."""
        return {
            name: getattr(self, name) if getattr(self, name) is not None else row[name]
            for name in ("reason", "notes", "order_id", "product", "resolved")
        }


class NoNumber(ValueError):
    """The contact has no caller number that could be a customer's phone."""


def caller_number(row: dict[str, Any], region: str) -> Phone:
    """The number a call presented, as a customer's phone (E.164): only a call's, and only a
    valid number (an invalid caller id is matched by its digits but never stored)."""
    presented = row["presented"]
    if row["channel"] != InteractionChannel.PHONE.value or not presented:
        raise NoNumber(f"interaction {row['contact_id']} has no caller number to add")
    try:
        return normalise_phone(presented, region)
    except InvalidContactPoint as error:
        raise NoNumber(f"the caller's number cannot be added: {error}") from None


class StaleVersion(Exception):
    """The caller edited a version that is no longer the current one."""

    def __init__(self, current: dict[str, Any]) -> None:
        super().__init__(f"interaction {current['contact_id']} is at version {current['version']}")
        self.current = current


@dataclass(frozen=True)
class ChatChange:
    """What one chat event does to its contact: `kind` names the statement, `values` its
    parameters (the chat's id first)."""

    kind: str
    values: tuple[Any, ...]


def chat_started(
    event: ChatStarted, customer_id: str | None, level: str, presented: str | None
) -> ChatChange:
    """The contact a chat's start records, with who recognition found (a proactive chat is
    outbound)."""
    direction = Direction.OUTBOUND if event.origin is ChatOrigin.PROACTIVE else Direction.INBOUND
    values = (event.chat_id, customer_id, level, direction.value, event.occurred_at, presented)
    return ChatChange("started", values)


def chat_change(event: AnyChatEvent) -> ChatChange | None:
    """The contact change a chat event makes; None for a customer's message (nothing new)."""
    at = event.occurred_at
    match event:
        case ChatStarted():
            level = "known" if event.customer_id else "anonymous"
            return chat_started(event, event.customer_id, level, None)
        case ChatAgentJoined():
            return ChatChange("agent_joined", (event.chat_id, event.agent, at))
        case ChatMessageSent() if event.sender is ChatParty.AGENT:
            return ChatChange("first_response", (event.chat_id, event.agent, at))
        case ChatEnded():
            return ChatChange("ended", (event.chat_id, at, event.resolved))
        case _:
            return None

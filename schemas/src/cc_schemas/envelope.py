"""The envelope every event on every topic carries, and the field types the domains share."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

# Fixed namespace so that the same source ids give the same event_id on every machine and run.
EVENT_ID_NAMESPACE = uuid.UUID("6f1c2a8e-4b7d-5e3a-9c0f-2d8b1e7a4c55")


def _to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


UtcDatetime = Annotated[AwareDatetime, AfterValidator(_to_utc)]
"""A timezone-aware datetime, stored in UTC; naive input is rejected (its zone is unknowable)."""

# Control characters (C0, DEL, C1) in a name end up in logs, metric labels and Kafka keys, where
# they break or disguise what they are part of (a NUL reached Prometheus as `queue="s\0les"`);
# no PBX, shop or person names a queue, an agent or a record with one.
NO_CONTROL_CHARACTERS = r"^[^\x00-\x1f\x7f-\x9f]*$"

Name = Annotated[str, StringConstraints(pattern=NO_CONTROL_CHARACTERS)]
"""A name that may be empty (a queue, an agent, an interface): no control characters."""

Id = Annotated[str, StringConstraints(min_length=1, pattern=NO_CONTROL_CHARACTERS)]
"""An identifier: not empty, no control characters."""
Seconds = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Cents = Annotated[int, Field(ge=0)]
Currency = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Z]{3}$"),
    Field(description="ISO 4217 code", examples=["EUR"]),
]


def _require_event_type(schema: dict[str, Any]) -> None:
    # event_type has a default so producers need not repeat it, but on the wire it is always
    # present and is the discriminator: the published contract must say it is required.
    required = schema.setdefault("required", [])
    if "event_type" not in required:
        required.insert(0, "event_type")


class EventPart(BaseModel):
    """Base of the small models nested inside events; same tolerance as Event."""

    model_config = ConfigDict(extra="ignore", frozen=True)


class Actor(EventPart):
    """Who took the action an event records (issue 16's audit): a signed-in person, or a
    machine client acting on its own credentials. When is the event's `occurred_at`."""

    subject: Id = Field(
        description="The sign-in subject (the identity provider's `sub`): a person's one id "
        "in every event and report.",
        examples=["8c626462-919e-488e-9901-db6ebe239857"],
    )
    role: Name | None = Field(
        default=None,
        description="The role the action was taken in: operator, supervisor, back-office, admin.",
        examples=["supervisor"],
    )


class Event(BaseModel):
    """Base of every event. Subclasses narrow `event_type` to a `Literal` with a default."""

    # extra="ignore": a consumer still on v1 must accept fields added by a newer producer.
    model_config = ConfigDict(
        extra="ignore",
        frozen=True,
        json_schema_extra=_require_event_type,
    )

    event_id: Id = Field(
        description=(
            "Unique id of this event; consumers deduplicate on it. Derived deterministically "
            "from the source's own ids where possible (see make_event_id), so a re-import or "
            "a retried webhook yields the same id."
        ),
        examples=["0d9f3c6e-2b1a-5c44-9e7f-1a2b3c4d5e6f"],
    )
    event_type: str
    occurred_at: UtcDatetime = Field(
        description="When it happened at the source (event time, not ingest time), in UTC.",
        examples=["2025-03-14T09:26:53Z"],
    )
    source: Id = Field(
        description="The system that produced the event.",
        examples=["pbx-webhook", "asterisk-queue-log", "asterisk-ami", "shop", "claims"],
    )
    schema_version: int = Field(default=1, ge=1, description="Version of this event's schema.")
    # Left off the wire when absent, so machines' events are the bytes they were before.
    actor: Actor | None = Field(
        default=None,
        exclude_if=lambda actor: actor is None,
        description="Who did it, on events published by a person's action (an assignment, a "
        "closed ticket, an import); absent on events of machines (the PBX, the shop).",
    )


def make_event_id(source: str, *parts: object) -> str:
    """A stable event id from the source name and the source's own ids (e.g. uniqueid + verb).

    Same inputs, same id: redelivered or re-imported source records deduplicate downstream.
    """
    if not parts:
        raise ValueError("make_event_id needs at least one id from the source")
    name = "\x1f".join([source, *(str(p) for p in parts)])
    return str(uuid.uuid5(EVENT_ID_NAMESPACE, name))

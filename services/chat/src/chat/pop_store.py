"""The screen pops' SQL: one row per call, moved under its row lock by the pure rules of
`screen_pop` (call events and crm's identification may arrive at once, from two topics, on
two instances); an operator's pop is their latest call."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Protocol

from pydantic import TypeAdapter

from cc_runtime.postgres import Database
from cc_schemas import (
    CallEvent,
    ContactIdentified,
    CustomerSummary,
    IdentificationLevel,
    InteractionChannel,
)
from chat import screen_pop
from chat.screen_pop import Identification, Pop, Stage

Change = Callable[[Pop], Pop | None]
_SUMMARIES = TypeAdapter(tuple[CustomerSummary, ...])


class Pops(Protocol):
    async def change(self, call_id: str, change: Change) -> Pop: ...

    async def latest_for(self, operator: str) -> Pop | None: ...


class PostgresPops:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def change(self, call_id: str, change: Change) -> Pop:
        """The call's pop after `change`, stored. A call not seen yet starts blank (offered,
        nobody's, nobody known), which the rules treat as no pop at all."""
        async with self._database.transaction() as connection:
            await connection.execute(
                "INSERT INTO screen_pops (call_id, stage) VALUES ($1, 0) ON CONFLICT DO NOTHING",
                call_id,
            )
            row = await connection.fetchrow(
                "SELECT * FROM screen_pops WHERE call_id = $1 FOR UPDATE", call_id
            )
            before = _pop_of(row)
            after = change(before) or before
            if after != before:
                await connection.execute(
                    "UPDATE screen_pops SET agent = $2, stage = $3, queue = $4, "
                    "caller_number = $5, changed_at = $6, identification = $7::jsonb, "
                    "stored_at = now() WHERE call_id = $1",
                    call_id,
                    after.agent,
                    int(after.stage),
                    after.queue,
                    after.caller_number,
                    after.changed_at,
                    _identification_json(after.identification),
                )
            return after

    async def latest_for(self, operator: str) -> Pop | None:
        async with self._database.connection() as connection:
            row = await connection.fetchrow(
                "SELECT * FROM screen_pops WHERE agent = $1 "
                "ORDER BY changed_at DESC NULLS LAST LIMIT 1",
                operator,
            )
        return None if row is None else _pop_of(row)


def _pop_of(row: Any) -> Pop:
    return Pop(
        call_id=row["call_id"],
        agent=row["agent"],
        stage=Stage(row["stage"]),
        queue=row["queue"],
        caller_number=row["caller_number"],
        changed_at=row["changed_at"],
        identification=_identification_of(row["identification"]),
    )


def _identification_json(identification: Identification | None) -> str | None:
    if identification is None:
        return None
    return json.dumps(
        {
            "level": identification.level.value,
            "presented": identification.presented,
            "candidates": json.loads(_SUMMARIES.dump_json(identification.candidates)),
        }
    )


def _identification_of(stored: str | None) -> Identification | None:
    if stored is None:
        return None
    data = json.loads(stored)
    return Identification(
        level=IdentificationLevel(data["level"]),
        presented=data["presented"],
        candidates=_SUMMARIES.validate_python(data["candidates"]),
    )


async def record_call(pops: Pops, event: CallEvent) -> Pop:
    """A call event moves its call's pop (ringing on, answered by, ended)."""
    return await pops.change(event.call_id, lambda pop: screen_pop.on_call_event(pop, event))


async def record_identified(pops: Pops, event: ContactIdentified) -> Pop | None:
    """crm's identification of a call fills its pop; a chat's is not a pop."""
    if event.channel != InteractionChannel.PHONE:
        return None
    return await pops.change(event.contact_id, lambda pop: screen_pop.on_identified(pop, event))

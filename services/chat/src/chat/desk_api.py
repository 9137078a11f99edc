"""Route -> use case, nothing more, for an operator's desk work on a chat they hold: transfer
it to a colleague or a team with a note, and the operators' notes on it (never shown to the
customer, never published). Refusals say why: 404 no such chat, 403 not one of its operators,
409 the chat's state (ended, not yours to pass) or the colleague offline, 422 a bad body."""

from datetime import UTC, datetime
from typing import Self

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field, model_validator

from cc_runtime import CurrentPrincipal, WriteBy
from chat import chats, presence
from chat.assignment import Seats
from chat.chat_api import REFUSALS, answer, reader_of
from chat.chats import Conversations
from chat.conversation import Note
from chat.presence import Presence
from chat.views import ChatView, chat_view


class TransferBody(BaseModel):
    to_operator: str | None = Field(None, min_length=1, max_length=200)
    to_team: str | None = Field(None, min_length=1, max_length=200)
    note: str | None = Field(None, max_length=20000, description="For the colleague only")

    @model_validator(mode="after")
    def _one_target(self) -> Self:
        if (self.to_operator is None) == (self.to_team is None):
            raise ValueError("a transfer goes to one operator (to_operator) or one team (to_team)")
        return self


class NoteBody(BaseModel):
    text: str = Field(max_length=20000)


class NoteView(BaseModel):
    note_no: int
    author: str
    text: str
    written_at: datetime


class NotesView(BaseModel):
    notes: list[NoteView] = Field(description="In the order written; operators only")


def note_view(note: Note) -> NoteView:
    return NoteView(
        note_no=note.note_no, author=note.author, text=note.text, written_at=note.written_at
    )


async def check_reachable(seats: Seats, operator_id: str, now: datetime) -> None:
    """A chat goes only to a colleague whose console is there (online or away)."""
    found = await seats.operators.get(operator_id)
    if found is None:
        raise HTTPException(409, f"{operator_id} has not signed in to the console")
    if presence.status_at(found, now, seats.timeout) is Presence.OFFLINE:
        raise HTTPException(409, f"{operator_id} is offline")


def desk_router(conversations: Conversations, seats: Seats) -> APIRouter:
    router = APIRouter(prefix="/v1/chats", tags=["chats"])

    @router.post(
        "/{chat_id}/transfer",
        summary="Pass the chat to a colleague or a team, with a note",
        responses=REFUSALS,
    )
    async def transfer(chat_id: str, body: TransferBody, by: WriteBy) -> ChatView:
        if body.to_operator is not None:
            await check_reachable(seats, body.to_operator, datetime.now(UTC))
        moved = await answer(
            lambda: chats.transfer(
                conversations, chat_id, body.to_operator, body.to_team, body.note, by
            )
        )
        return chat_view(moved)

    @router.get("/{chat_id}/notes", summary="The operators' notes on the chat")
    async def notes(chat_id: str, caller: CurrentPrincipal) -> NotesView:
        found = await answer(lambda: chats.notes_of(conversations, chat_id, reader_of(caller)))
        return NotesView(notes=[note_view(n) for n in found])

    @router.post(
        "/{chat_id}/notes",
        status_code=201,
        summary="Write a note for the chat's operators (never shown to the customer)",
        responses=REFUSALS,
    )
    async def write(chat_id: str, body: NoteBody, caller: CurrentPrincipal) -> NoteView:
        written = await answer(
            lambda: chats.write_note(
                conversations, chat_id, reader_of(caller), body.text, datetime.now(UTC)
            )
        )
        return note_view(written)

    return router

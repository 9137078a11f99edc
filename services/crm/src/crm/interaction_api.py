"""Route -> use case for interactions (operators): read a contact, write its reason, notes,
order and product (If-Match), attach the customer found by manual identification. Each write
is audited and published on interactions."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from fastapi.responses import JSONResponse

from cc_runtime import WriteBy
from crm.interaction_repository import NotAttachable, PostgresInteractions
from crm.interactions import InteractionEdit, StaleVersion
from crm.versions import VERSIONED, IfMatch, expected_version, stale, versioned
from crm.views import AttachBody, InteractionBody, InteractionView


def interaction_routes(interactions: PostgresInteractions, region: str) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["interactions"])

    @router.get(
        "/interactions/{interaction_id}",
        summary="One contact (call or chat) as an interaction; its version is the ETag",
        responses={404: {"description": "no such contact"}},
    )
    async def read(interaction_id: str) -> JSONResponse:
        row = await interactions.read(interaction_id)
        if row is None:
            raise HTTPException(404, detail=f"no interaction {interaction_id!r}")
        return versioned(InteractionView(**row), row["version"])

    @router.patch(
        "/interactions/{interaction_id}",
        summary="Write the contact's reason, notes, order, product or resolution",
        description='`If-Match: "<version>"` as read: 409 with the current interaction when '
        "another write came first. Published on interactions.",
        responses=VERSIONED,
    )
    async def edit(
        interaction_id: str, body: InteractionBody, write: WriteBy, if_match: IfMatch = None
    ) -> JSONResponse:
        expected = expected_version(if_match)
        change = InteractionEdit(**body.model_dump())
        try:
            row = await interactions.edit(interaction_id, expected, change, write)
        except StaleVersion as conflict:
            now = conflict.current
            return stale(f"interaction {interaction_id}", InteractionView(**now), now["version"])
        if row is None:
            raise HTTPException(404, detail=f"no interaction {interaction_id!r}")
        return versioned(InteractionView(**row), row["version"])

    @router.put(
        "/interactions/{interaction_id}/customer",
        summary="Attach the contact to a customer (manual identification)",
        description="When recognition said unknown, ambiguous or anonymous, the operator "
        "attaches the customer they found. Published on interactions with the link. "
        "With `add_phone` the caller's number joins the customer's phones (audited). "
        '`If-Match: "<version>"`; 422 for a customer crm does not hold or a number that '
        "cannot be added.",
        responses=VERSIONED,
    )
    async def attach(
        interaction_id: str, body: AttachBody, write: WriteBy, if_match: IfMatch = None
    ) -> JSONResponse:
        expected = expected_version(if_match)
        try:
            row = await interactions.attach(
                interaction_id,
                expected,
                body.customer_id,
                write,
                add_number_in=region if body.add_phone else None,
            )
        except StaleVersion as conflict:
            now = conflict.current
            return stale(f"interaction {interaction_id}", InteractionView(**now), now["version"])
        except NotAttachable as error:
            raise HTTPException(422, detail=str(error)) from None
        if row is None:
            raise HTTPException(404, detail=f"no interaction {interaction_id!r}")
        return versioned(InteractionView(**row), row["version"])

    return router

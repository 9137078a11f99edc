"""Route -> use case for cases (operators): the cases a contact may belong to, linking it
(confirm the proposal, pick another, open a new one), reading a case (a merged one redirects),
editing, resolving or closing with the problem and its resolution, reopening, merging, splitting,
relating, a customer's cases and the full-text search. Writes carry If-Match, are audited and
publish on `cases`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import JSONResponse, RedirectResponse, Response

from cc_runtime import WriteBy
from crm.case_repository import (
    CaseEdit,
    Ending,
    NewCase,
    NoSuchRecord,
    PostgresCases,
    StaleCase,
)
from crm.case_views import (
    CaseEditBody,
    CaseHit,
    CaseSearchResults,
    CaseSummary,
    CaseView,
    EndBody,
    LinkBody,
    MergeBody,
    NewCaseBody,
    NoteHit,
    Proposals,
    ProposalView,
    RelateBody,
    SplitBody,
)
from crm.cases import CaseRefused, ContactFacts, ProposalRule, propose
from crm.interaction_repository import PostgresInteractions
from crm.versions import VERSIONED, IfMatch, expected_version, stale, versioned

STATES = ("open", "resolved", "closed", "merged")


def _new(body: NewCaseBody) -> NewCase:
    return NewCase(**body.model_dump())


def case_routes(
    cases: PostgresCases, interactions: PostgresInteractions, rule: ProposalRule
) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["cases"])

    async def proposals_for(interaction_id: str) -> list[ProposalView]:
        contact = await interactions.read(interaction_id)
        if contact is None:
            raise HTTPException(404, detail=f"no interaction {interaction_id!r}")
        if contact["customer_id"] is None:
            return []
        facts = ContactFacts(
            customer_id=contact["customer_id"],
            started_at=contact["started_at"],
            order_id=contact["order_id"],
            product=contact["product"],
            reason=contact["reason"],
        )
        found = propose(facts, await cases.open_cases_of(contact["customer_id"]), rule)
        return [ProposalView(case_id=p.case_id, score=p.score, why=list(p.why)) for p in found]

    async def answer(case_id: str, status: int = 200) -> JSONResponse:
        case = await cases.read(case_id)
        assert case is not None  # just written
        return versioned(CaseView(**case), case["version"], status)

    async def guarded(
        case_id: str, act: Callable[[], Awaitable[dict[str, Any]]], status: int = 200
    ) -> Response:
        """A write's refusals as answers: 404, 409 with the case as it is, 422 with why."""
        try:
            done = await act()
        except NoSuchRecord as error:
            raise HTTPException(404, detail=str(error)) from None
        except StaleCase as conflict:
            now = await cases.read(case_id)
            assert now is not None
            return stale(f"case {case_id}", CaseView(**now), conflict.current["version"])
        except CaseRefused as error:
            raise HTTPException(422, detail=str(error)) from None
        return await answer(done["case_id"], status)

    @router.get(
        "/interactions/{interaction_id}/case-proposals",
        summary="The open cases this contact most likely belongs to",
        description="Same customer, then the same order, product or reason, within "
        "CRM_CASE_WINDOW_DAYS of the case's last contact; most likely first, each with why.",
    )
    async def proposals(interaction_id: str) -> Proposals:
        found = await proposals_for(interaction_id)
        return Proposals(interaction_id=interaction_id, proposals=found)

    @router.put(
        "/interactions/{interaction_id}/case",
        summary="Link the contact to a case: the proposed one, another, or a new one",
        description='`{"case_id": ...}` or `{"new": {"title": ...}}`. A merged case '
        "leads to where it was merged; an ended one reopens. Published on cases "
        "(case.contact_linked, how: proposed / chosen / opened) and interactions.",
        responses={404: {"description": "no such contact or case"}},
    )
    async def link(interaction_id: str, body: LinkBody, write: WriteBy) -> Response:
        target: str | NewCase = _new(body.new) if body.new else str(body.case_id)
        found = await proposals_for(interaction_id)
        best = found[0].case_id if found else None
        return await guarded(
            body.case_id or "", lambda: cases.link(interaction_id, target, best, write)
        )

    @router.get(
        "/cases/{case_id}",
        summary="A case with its contacts, history and related cases; its version is the ETag",
        description="A merged case answers 308 to the case it was merged into.",
        responses={404: {"description": "no such case"}, 308: {"description": "merged"}},
    )
    async def read(case_id: str) -> Response:
        case = await cases.read(case_id)
        if case is None:
            raise HTTPException(404, detail=f"no case {case_id!r}")
        if case["merged_into"] is not None:
            return RedirectResponse(f"/v1/cases/{case['merged_into']}", status_code=308)
        return versioned(CaseView(**case), case["version"])

    @router.patch(
        "/cases/{case_id}",
        summary="Edit a case's title, reason, order, product, language or problem",
        responses=VERSIONED,
    )
    async def edit(
        case_id: str, body: CaseEditBody, write: WriteBy, if_match: IfMatch = None
    ) -> Response:
        expected = expected_version(if_match)
        change = CaseEdit(**body.model_dump())
        return await guarded(case_id, lambda: cases.edit(case_id, expected, change, write))

    @router.post(
        "/cases/{case_id}/resolve",
        summary="Resolve or close the case, with the problem and its resolution in words",
        description="Published as case.resolved (kpi's FCR, the FAQ miner).",
        responses=VERSIONED,
    )
    async def resolve(
        case_id: str, body: EndBody, write: WriteBy, if_match: IfMatch = None
    ) -> Response:
        expected = expected_version(if_match)
        ending = Ending(**body.model_dump())
        return await guarded(case_id, lambda: cases.end(case_id, expected, ending, write))

    @router.post("/cases/{case_id}/reopen", summary="Open an ended case again", responses=VERSIONED)
    async def reopen(case_id: str, write: WriteBy, if_match: IfMatch = None) -> Response:
        expected = expected_version(if_match)
        return await guarded(case_id, lambda: cases.reopen(case_id, expected, write))

    @router.post(
        "/cases/{case_id}/merge",
        summary="Merge this case into another: its contacts move, it redirects there",
        responses=VERSIONED,
    )
    async def merge(
        case_id: str, body: MergeBody, write: WriteBy, if_match: IfMatch = None
    ) -> Response:
        expected = expected_version(if_match)
        into = body.into_case_id
        return await guarded(case_id, lambda: cases.merge(case_id, expected, into, write))

    @router.post(
        "/cases/{case_id}/split",
        status_code=201,
        summary="Split contacts off into a new case",
        responses=VERSIONED,
    )
    async def split(
        case_id: str, body: SplitBody, write: WriteBy, if_match: IfMatch = None
    ) -> Response:
        expected = expected_version(if_match)
        ids, new = body.interaction_ids, _new(body.new)
        return await guarded(
            case_id, lambda: cases.split(case_id, expected, ids, new, write), status=201
        )

    @router.post(
        "/cases/{case_id}/related",
        summary="Mark two cases as about related problems (each stays as it is)",
        responses={404: {"description": "no such case"}},
    )
    async def relate(case_id: str, body: RelateBody, write: WriteBy) -> Response:
        other = body.related_case_id
        return await guarded(case_id, lambda: cases.relate(case_id, other, write))

    @router.get("/customers/{customer_id}/cases", summary="A customer's cases, latest first")
    async def of_customer(
        customer_id: str,
        state: Annotated[list[str] | None, Query()] = None,
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
    ) -> list[CaseSummary]:
        states = state or ["open"]
        unknown = sorted(set(states) - set(STATES))
        if unknown:
            raise HTTPException(422, detail=f"unknown state {unknown}; known: {list(STATES)}")
        return [CaseSummary(**c) for c in await cases.cases_of(customer_id, states, limit)]

    @router.get(
        "/search/cases",
        summary="Full-text search over cases and contacts' notes, in Italian and English",
        description="Words as typed (`websearch` syntax: quotes, `or`, `-`), stemmed in both "
        "languages, accents folded. Cases by title, problem and resolution; notes by contact.",
    )
    async def search(
        q: Annotated[str, Query(min_length=2, max_length=200)],
        limit: Annotated[int, Query(ge=1, le=50)] = 10,
    ) -> CaseSearchResults:
        found_cases, found_notes = await cases.search(q, limit)
        return CaseSearchResults(
            cases=[CaseHit(**c) for c in found_cases],
            notes=[NoteHit(**n) for n in found_notes],
        )

    return router

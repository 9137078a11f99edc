"""Route -> handler, nothing more: the KPI reports over HTTP, as JSON or CSV."""

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from cc_schemas import AGENT_EVENTS, CALL_EVENTS, TICKET_SLA
from kpi import omni_reports
from kpi.omnichannel import OmnichannelProjection
from kpi.periods import local_today
from kpi.queries import (
    CASES,
    CHATS,
    CONTACTS,
    CSAT,
    TICKETS_OPEN,
    TICKETS_OPENED,
    Entities,
    Reports,
)
from kpi.reports import ReportQuery, coverage, to_csv

GROUPS_DOC = (
    "Comma-separated groupings: queue, agent, hour, day, week (ISO), month, hour_of_day (0-23), "
    "weekday (1 = Monday); channel, cluster, team, assignee, origin, direction, rule, target, "
    "priority where the report has them; empty for one total row."
)
EXAMPLE = {
    "queue": "sales",
    "offered": 120,
    "answered": 100,
    "service_level": 0.85,
    "abandon_rate": 0.08,
    "average_speed_of_answer_seconds": 14.2,
    "period_from": "2026-11-23",
    "period_to": "2026-11-24",
    "data_first_event_at": "2025-04-14T07:02:11.120000Z",
    "data_last_event_at": "2026-11-23T16:40:03.500000Z",
}
COVERAGE_HEADERS = {
    "period_from": "X-Report-Period-From",
    "period_to": "X-Report-Period-To",
    "data_first_event_at": "X-Data-First-Event-At",
    "data_last_event_at": "X-Data-Last-Event-At",
}

Format = Literal["json", "csv"]


def kpi_router(reports: Reports) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["reports"])

    def query(start: date | None, end: date | None, group_by: str) -> ReportQuery:
        start = start or local_today(datetime.now(UTC), reports.zone)
        groups = tuple(g.strip() for g in group_by.split(",") if g.strip())
        try:
            return ReportQuery(start, end or start + timedelta(days=1), groups)
        except ValueError as error:
            raise HTTPException(422, str(error)) from error

    def report(
        name: str,
        compute: Callable[[ReportQuery], Awaitable[list[dict[str, Any]]]],
        doc: str,
        topics: tuple[str, ...],
    ) -> None:
        @router.get(
            f"/reports/{name}",
            summary=doc,
            description=(
                "Each row, and the X-Report-Period-From/-To and X-Data-First/Last-Event-At "
                "headers, say which local days the report covers and the event times of the "
                "first and last stored event it reads (null when there are none)."
            ),
            responses={200: {"content": {"application/json": {"example": [EXAMPLE]}}}},
        )
        async def get_report(
            start: Annotated[
                date | None, Query(alias="from", description="First local day; default today")
            ] = None,
            end: Annotated[
                date | None, Query(alias="to", description="Day after the last; default from+1")
            ] = None,
            group_by: Annotated[str, Query(description=GROUPS_DOC)] = "",
            format: Annotated[Format, Query(description="json or csv")] = "json",
        ) -> Response:
            asked = query(start, end, group_by)
            try:
                rows = await compute(asked)
            except ValueError as error:
                raise HTTPException(422, str(error)) from error
            covered = coverage(asked, await reports.span(topics))
            rows = [{**row, **covered} for row in rows]
            headers = {COVERAGE_HEADERS[k]: v for k, v in covered.items() if v is not None}
            headers["X-Report-Timezone"] = reports.zone.key
            if format == "csv":
                return PlainTextResponse(to_csv(rows), media_type="text/csv", headers=headers)
            return JSONResponse(rows, headers=headers)

        get_report.__name__ = f"report_{name}"

    def omni(
        name: str,
        compute: Callable[[OmnichannelProjection, ReportQuery], list[dict[str, Any]]],
        doc: str,
        entities: Entities,
    ) -> None:
        """A report computed from the omnichannel projection of the entities it reads."""
        report(name, partial(reports.omnichannel, entities, compute), doc, entities.topics)

    calls = (CALL_EVENTS,)
    report("calls", reports.calls, "Telephony KPIs per queue/agent/period", calls)
    report(
        "outbound",
        reports.outbound,
        "Outbound calls: attempts, connected, ended by outcome, talk time",
        calls,
    )
    report(
        "agents",
        reports.agents,
        "Agents' logged-in, paused, busy time and occupancy",
        (AGENT_EVENTS, CALL_EVENTS),
    )
    omni(
        "tickets",
        omni_reports.ticket_report,
        "Claims: volumes, outcomes, throughput time",
        TICKETS_OPENED,
    )
    omni(
        "backlog",
        omni_reports.backlog_report,
        "Tickets still open at the end of each period",
        TICKETS_OPEN,
    )
    omni(
        "assignees",
        omni_reports.assignee_report,
        "Time each responsible held tickets",
        TICKETS_OPENED,
    )
    report(
        "sla",
        reports.sla,
        "Claims' SLA warnings and breaches per target, cluster, priority, team and period",
        (TICKET_SLA,),
    )
    omni("chats", omni_reports.chat_report, "Chats: first response and reply times", CHATS)
    omni("interactions", omni_reports.interaction_report, "Contacts per channel, FCR", CASES)
    omni("csat", omni_reports.csat_report, "CSAT: share of satisfied answers", CSAT)
    omni(
        "contacts",
        omni_reports.contact_report,
        "Proactive contact requests and outcomes",
        CONTACTS,
    )

    @router.get("/queues/now", summary="Calls waiting in each queue now")
    async def queues_now() -> dict[str, int]:
        since = datetime.now(UTC) - timedelta(hours=4)
        return dict(sorted((await reports.store.waiting(since)).items()))

    return router

"""Who held a ticket and for how long: each stretch runs from taking the ticket to the next
assignment or the close; an assignment after the close holds nothing and does not stretch the
previous holder's time past the close."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from cc_schemas import TicketAssigned, TicketClosed, TicketEvent, TicketOpened
from kpi.omni_reports import assignee_report
from kpi.omnichannel import OmnichannelProjection
from kpi.reports import ReportQuery

T0 = datetime(2026, 4, 1, 8, tzinfo=UTC)
COMMON = {"source": "t", "ticket_id": "T-1"}


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def assigned(event_id: str, hours: float, who: str) -> TicketAssigned:
    return TicketAssigned(
        event_id=event_id,
        occurred_at=at(hours),
        assignee=who,
        team="contact_centre",
        assigned_by="anna",
        **COMMON,
    )


def held(events: list[TicketEvent]) -> dict[str, tuple[int, int]]:
    omni = OmnichannelProjection(ZoneInfo("Europe/Rome"))
    for event in events:
        omni.apply(event)
    rows = assignee_report(omni, ReportQuery(date(2026, 4, 1), date(2026, 4, 2), ("assignee",)))
    return {row["assignee"]: (row["stretches"], row["held_ms"]) for row in rows}


OPENED = TicketOpened(
    event_id="o",
    occurred_at=T0,
    customer_id="C1",
    channel="email",
    cluster="return",
    subject="Broken toy",
    opened_by="anna",
    assignee="anna",
    team="contact_centre",
    **COMMON,
)
CLOSED = TicketClosed(
    event_id="c", occurred_at=at(5), resolution="resolved", closed_by="bruno", **COMMON
)


def test_each_holder_keeps_the_ticket_until_the_next_assignment_or_the_close() -> None:
    assert held([OPENED, assigned("a1", 2, "bruno"), CLOSED]) == {
        "anna": (1, 2 * 3_600_000),
        "bruno": (1, 3 * 3_600_000),
    }


def test_an_assignment_after_the_close_holds_nothing_and_ends_nobody_s_stretch() -> None:
    late = assigned("a2", 7, "dario")

    assert held([late, OPENED, assigned("a1", 2, "bruno"), CLOSED]) == {
        "anna": (1, 2 * 3_600_000),
        "bruno": (1, 3 * 3_600_000),
    }

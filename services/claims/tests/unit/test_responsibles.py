"""Time per responsible in a period, worked by hand on the contact centre's calendar: the part
of each stint inside the period, in calendar and in business time; two contact-centre stints of
one chain both count."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from claims.business_time import BusinessCalendar, parse_hours, public_holidays
from claims.responsibles import HeldStint, held_report

ROME = ZoneInfo("Europe/Rome")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
CALENDAR = BusinessCalendar(
    zone=ROME,
    hours=parse_hours({d: "09:00-18:00" for d in WEEKDAYS} | {"sat": "09:00-13:00"}),
    is_holiday=public_holidays("IT"),
)


def rome(*args: int) -> datetime:
    return datetime(*args, tzinfo=ROME)  # type: ignore[misc]


def test_a_chain_over_a_weekend_in_calendar_and_business_hours() -> None:
    stints = [
        HeldStint("anna", "contact_centre", "T-1", rome(2026, 3, 20, 17), rome(2026, 3, 23, 10)),
        HeldStint("marco", "marketing", "T-1", rome(2026, 3, 23, 10), rome(2026, 3, 23, 12)),
        HeldStint("anna", "contact_centre", "T-1", rome(2026, 3, 23, 12), None),
        HeldStint("lia", "logistics", "T-2", rome(2026, 3, 1, 9), rome(2026, 3, 2, 9)),  # before
    ]
    since, until = rome(2026, 3, 20, 0), rome(2026, 3, 23, 14)

    rows = held_report(stints, since, until, CALENDAR)

    hours = [
        (r.person, r.held_seconds / 3600, r.held_business_seconds / 3600, r.stints_begun, r.tickets)
        for r in rows
    ]
    # anna: Fri 17:00 -> Mon 10:00 is 65 h of clock, 6 of opening (Fri 1, Sat 4, Mon 1),
    # then Mon 12:00 -> 14:00 (the period's end): 2 h both ways
    assert hours == [("anna", 67.0, 8.0, 2, 1), ("marco", 2.0, 2.0, 1, 1)]


def test_a_stint_begun_before_the_period_counts_its_part_and_no_hand_over() -> None:
    stints = [HeldStint("anna", "contact_centre", "T-1", datetime(2026, 3, 2, 8, tzinfo=UTC), None)]
    rows = held_report(
        stints, datetime(2026, 3, 3, tzinfo=UTC), datetime(2026, 3, 4, tzinfo=UTC), CALENDAR
    )
    assert [(r.held_seconds, r.held_business_seconds / 3600, r.stints_begun) for r in rows] == [
        (86400.0, 9.0, 0)
    ]

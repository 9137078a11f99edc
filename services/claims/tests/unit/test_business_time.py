"""Business time on the contact centre's calendar (Europe/Rome, Mon-Fri 09-18, Sat 09-13,
Italian public holidays), against hand-worked cases across a weekend, a holiday and both DST
changes of 2026 (29 March, 25 October), and as properties: `after` undoes `between`."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from claims.business_time import BusinessCalendar, parse_hours, public_holidays

ROME = ZoneInfo("Europe/Rome")
CALENDAR = BusinessCalendar(
    zone=ROME,
    hours=parse_hours(
        {d: "09:00-18:00" for d in ("mon", "tue", "wed", "thu", "fri")} | {"sat": "09:00-13:00"}
    ),
    is_holiday=public_holidays("IT"),
)
ALWAYS = BusinessCalendar(
    zone=ROME,
    hours=parse_hours(
        {d: "00:00-24:00" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    ),
    is_holiday=lambda _: False,
)


def rome(*args: int) -> datetime:
    return datetime(*args, tzinfo=ROME)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("start", "business", "due"),
    [
        # Friday 17:00 + 4 h: 1 h on Friday, 3 of Saturday's 4 h
        (rome(2026, 3, 20, 17), 4, rome(2026, 3, 21, 12)),
        # Monday 16:00 + 4 h: 2 h on Monday, Tuesday 8 December is a holiday, 2 h on Wednesday
        (rome(2026, 12, 7, 16), 4, rome(2026, 12, 9, 11)),
        # Saturday 12:00 CET + 3 h: 1 h on Saturday, Sunday the clocks go forward, 2 h Monday CEST
        (rome(2026, 3, 28, 12), 3, rome(2026, 3, 30, 11)),
        # Friday 17:00 CEST + 6 h: 1 h, Saturday's 4 h, Sunday they go back, 1 h Monday CET
        (rome(2026, 10, 23, 17), 6, rome(2026, 10, 26, 10)),
        # Starting while closed: the clock starts at the next opening
        (rome(2026, 3, 22, 10), 1, rome(2026, 3, 23, 10)),
        # Ending exactly at closing time
        (rome(2026, 3, 23, 9), 9, rome(2026, 3, 23, 18)),
    ],
    ids=["weekend", "holiday", "dst-spring", "dst-autumn", "closed-start", "at-closing"],
)
def test_deadlines_fall_where_they_were_worked_out_by_hand(
    start: datetime, business: int, due: datetime
) -> None:
    assert CALENDAR.after(start, timedelta(hours=business)) == due.astimezone(UTC)
    assert CALENDAR.between(start, due) == timedelta(hours=business)


def test_across_the_spring_change_46_hours_of_clock_hold_3_business_hours() -> None:
    start, end = rome(2026, 3, 28, 12), rome(2026, 3, 30, 11)
    clock = end.astimezone(UTC) - start.astimezone(UTC)  # same-zone subtraction is wall time
    assert (clock, CALENDAR.between(start, end)) == (timedelta(hours=46), timedelta(hours=3))


@pytest.mark.parametrize(
    ("day", "hours"), [((2026, 3, 29), 23), ((2026, 10, 25), 25), ((2026, 6, 1), 24)]
)
def test_a_day_open_round_the_clock_lasts_as_long_as_the_clocks_say(
    day: tuple[int, int, int], hours: int
) -> None:
    start = rome(*day)
    end = datetime.combine(start.date() + timedelta(days=1), start.time(), tzinfo=ROME)
    assert ALWAYS.between(start, end) == timedelta(hours=hours)


def test_opening_hours_are_checked() -> None:
    with pytest.raises(ValueError, match="do not run forward"):
        parse_hours({"mon": "18:00-09:00"})
    with pytest.raises(ValueError, match="not HH:MM-HH:MM"):
        parse_hours({"mon": "9-18"})
    with pytest.raises(ValueError, match="unknown weekday"):
        parse_hours({"monday": "09:00-18:00"})


instants = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)


@given(start=instants, minutes=st.integers(min_value=0, max_value=60 * 200))
def test_after_undoes_between(start: datetime, minutes: int) -> None:
    business = timedelta(minutes=minutes)
    due = CALENDAR.after(start, business)
    assert due >= start
    assert CALENDAR.between(start, due) == business


@given(start=instants, end=instants)
def test_business_time_never_exceeds_clock_time(start: datetime, end: datetime) -> None:
    assert timedelta() <= CALENDAR.between(start, end) <= max(end - start, timedelta())

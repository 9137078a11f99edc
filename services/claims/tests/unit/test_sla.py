"""SLA deadlines of a ticket in business time, worked out by hand on the contact centre's
calendar (Europe/Rome, Mon-Fri 09-18, Sat 09-13, Italian holidays): the clock pauses while the
ticket waits for the customer, a changed policy recomputes from the same pauses, and the
shipped policies file loads with the most specific policy winning."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from claims.business_time import BusinessCalendar, parse_hours, public_holidays
from claims.domain import Change, State
from claims.sla import Due, Policy, Target, deadlines, load_policies

ROME = ZoneInfo("Europe/Rome")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
CALENDAR = BusinessCalendar(
    zone=ROME,
    hours=parse_hours({d: "09:00-18:00" for d in WEEKDAYS} | {"sat": "09:00-13:00"}),
    is_holiday=public_holidays("IT"),
)
POLICY = Policy(
    name="test",
    budgets={
        Target.FIRST_RESPONSE: timedelta(hours=8),
        Target.NEXT_UPDATE: timedelta(hours=16),
        Target.SOLUTION: timedelta(hours=40),
    },
    warn_before=timedelta(hours=2),
)
OPENED = datetime(2026, 3, 20, 17, tzinfo=ROME)  # a Friday, an hour before closing


def rome(*args: int) -> datetime:
    return datetime(*args, tzinfo=ROME)  # type: ignore[misc]


def change(kind: str, at: datetime, before: State, after: State) -> Change:
    return Change(kind, at, "anna", before, after)


def by_target(found: list[Due]) -> dict[Target, Due]:
    return {d.target: d for d in found}


def test_a_new_ticket_is_due_in_business_hours_over_the_weekend() -> None:
    found = by_target(deadlines(OPENED, [], POLICY, CALENDAR))
    # 8 h: Friday 1 h, Saturday 4 h, Monday 09-12
    assert (found[Target.FIRST_RESPONSE].at, found[Target.FIRST_RESPONSE].warn_at) == (
        rome(2026, 3, 23, 12),
        rome(2026, 3, 23, 10),
    )
    # 40 h: 5 by Saturday, Mon-Wed 27 h (to 32), Thursday 8 h -> Thursday 17:00
    assert found[Target.SOLUTION].at == rome(2026, 3, 26, 17)
    assert Target.NEXT_UPDATE not in found  # nobody has responded yet


def test_waiting_for_the_customer_pauses_the_clock_and_a_new_policy_keeps_the_pause() -> None:
    timeline = [
        change("waiting", rome(2026, 3, 23, 10), State.OPEN, State.PENDING_CUSTOMER),
        change("resumed", rome(2026, 3, 24, 10), State.PENDING_CUSTOMER, State.OPEN),
    ]
    found = by_target(deadlines(OPENED, timeline, POLICY, CALENDAR))
    # Monday 10:00 to Tuesday 10:00 paused: 6 h before (Friday 1, Saturday 4, Monday 1), then
    # 34 h from Tuesday 10:00: Tuesday 8, Wednesday 9, Thursday 9, Friday 09:00 + 8 -> 17:00,
    # i.e. the unpaused Thursday 17:00 plus the 9 business hours of the pause
    assert found[Target.SOLUTION].at == rome(2026, 3, 27, 17)
    assert found[Target.FIRST_RESPONSE].met_at == rome(2026, 3, 23, 10)
    assert not found[Target.FIRST_RESPONSE].breached(rome(2026, 3, 30, 9))
    # next update: 16 h after the last step (Tuesday 10:00): Tuesday 8, Wednesday 09-17
    assert found[Target.NEXT_UPDATE].at == rome(2026, 3, 25, 17)

    shorter = Policy(
        "shorter", {**POLICY.budgets, Target.SOLUTION: timedelta(hours=10)}, timedelta()
    )
    # 10 h: Friday 1, Saturday 4, Monday 09-10 (1), paused, Tuesday 10:00 + 4 -> 14:00
    assert by_target(deadlines(OPENED, timeline, shorter, CALENDAR))[Target.SOLUTION].at == rome(
        2026, 3, 24, 14
    )


def test_while_waiting_for_the_customer_no_deadline_runs() -> None:
    timeline = [change("waiting", rome(2026, 3, 23, 10), State.OPEN, State.PENDING_CUSTOMER)]
    found = by_target(deadlines(OPENED, timeline, POLICY, CALENDAR))
    assert (found[Target.SOLUTION].at, found[Target.NEXT_UPDATE].at) == (None, None)
    assert not found[Target.SOLUTION].breached(rome(2027, 1, 1))


def test_a_late_decision_is_a_breach_and_stays_one() -> None:
    timeline = [change("resolved", rome(2026, 3, 27, 9), State.OPEN, State.RESOLVED)]
    found = by_target(deadlines(OPENED, timeline, POLICY, CALENDAR))
    assert found[Target.SOLUTION].breached(rome(2026, 3, 27, 9))
    assert found[Target.FIRST_RESPONSE].breached(rome(2026, 3, 27, 9))  # due Monday noon
    assert Target.NEXT_UPDATE not in found


def test_the_shipped_policies_load_and_the_most_specific_wins() -> None:
    policies = load_policies()
    assert policies.for_ticket("return", "normal").name == "default"
    assert policies.for_ticket("return", "urgent").budgets[Target.SOLUTION] == timedelta(hours=8)
    delivery = policies.for_ticket("delivery", "normal")
    assert (delivery.name, delivery.budgets[Target.NEXT_UPDATE]) == (
        "delivery",
        timedelta(hours=16),
    )

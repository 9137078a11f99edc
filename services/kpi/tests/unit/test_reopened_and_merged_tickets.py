"""Reopened and merged tickets (ticket-changes): a reopened ticket is open again until it is
closed again, then counted once with its last close (throughput from the first opening to that
close); a merged one is neither resolved nor unresolved; the time a ticket spent closed is held
by no one; waiting for the customer changes none of it, and its finished waits are reported;
any arrival order gives the same."""

from datetime import UTC, date, datetime, timedelta
from itertools import permutations
from typing import Any
from zoneinfo import ZoneInfo

from cc_schemas import (
    TicketAssigned,
    TicketClosed,
    TicketEvent,
    TicketMerged,
    TicketOpened,
    TicketStateChanged,
)
from kpi.entities import Step, entity_changes
from kpi.omni_reports import assignee_report, backlog_report, ticket_report
from kpi.omnichannel import OmnichannelProjection
from kpi.reports import ReportQuery

ROME = ZoneInfo("Europe/Rome")
T0 = datetime(2026, 4, 1, 8, tzinfo=UTC)  # 10:00 in Rome
DAY = date(2026, 4, 1)
HOUR_MS = 3_600_000


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def opened(ticket: str) -> TicketOpened:
    return TicketOpened(
        event_id=f"{ticket}/o",
        occurred_at=T0,
        ticket_id=ticket,
        source="t",
        customer_id="C1",
        channel="email",
        cluster="return",
        subject="Broken toy",
        opened_by="anna",
        assignee="anna",
        team="contact_centre",
    )


def closed(ticket: str, hours: float, resolution: str, outcome: str = "refund") -> TicketClosed:
    return TicketClosed(
        event_id=f"{ticket}/c{hours}",
        occurred_at=at(hours),
        ticket_id=ticket,
        source="t",
        resolution=resolution,
        outcome=outcome,
        closed_by="anna",
    )


def changed(ticket: str, hours: float, from_state: str, to_state: str) -> TicketStateChanged:
    return TicketStateChanged(
        event_id=f"{ticket}/s{hours}",
        occurred_at=at(hours),
        ticket_id=ticket,
        source="t",
        from_state=from_state,
        to_state=to_state,
        changed_by="anna",
    )


def merged(ticket: str, hours: float) -> TicketMerged:
    return TicketMerged(
        event_id=f"{ticket}/m",
        occurred_at=at(hours),
        ticket_id=ticket,
        source="t",
        into_ticket_id="T-other",
        merged_by="marta",
    )


def assigned(ticket: str, hours: float, who: str) -> TicketAssigned:
    return TicketAssigned(
        event_id=f"{ticket}/a{hours}",
        occurred_at=at(hours),
        ticket_id=ticket,
        source="t",
        assignee=who,
        team="marketing",
        assigned_by="anna",
    )


def projection(events: list[TicketEvent]) -> OmnichannelProjection:
    omni = OmnichannelProjection(ROME)
    for event in events:
        omni.apply(event)
    return omni


def tickets(events: list[TicketEvent]) -> dict[str, Any]:
    (row,) = ticket_report(projection(events), ReportQuery(DAY, DAY + timedelta(days=1)))
    return row


REOPENED_AND_CLOSED_AGAIN = [
    opened("T-1"),
    closed("T-1", 5, "resolved", "no_fault_found"),
    changed("T-1", 30, "closed", "open"),
    closed("T-1", 40, "unresolved"),
]


def test_a_ticket_reopened_and_closed_again_is_closed_once_with_its_last_close() -> None:
    row = tickets(REOPENED_AND_CLOSED_AGAIN)

    assert (row["open"], row["closed"], row["closed_resolved"], row["closed_unresolved"]) == (
        0,
        1,
        0,
        1,
    )
    assert row["no_fault_found"] == 0  # the first close's outcome no longer stands
    assert row["throughput_ms"] == 40 * HOUR_MS  # from the first opening to the last close


def test_a_reopened_ticket_is_open_again_and_out_of_the_closed_ones() -> None:
    row = tickets(REOPENED_AND_CLOSED_AGAIN[:3])

    assert (row["open"], row["closed"], row["throughput_ms"], row["resolution_rate"]) == (
        1,
        0,
        0,
        None,
    )


def test_a_merged_ticket_is_neither_resolved_nor_unresolved_nor_in_the_rates() -> None:
    row = tickets([opened("T-1"), closed("T-1", 5, "resolved"), opened("T-2"), merged("T-2", 3)])

    assert {k: row[k] for k in ("opened", "open", "closed", "merged", "resolution_rate")} == {
        "opened": 2,
        "open": 0,
        "closed": 1,
        "merged": 1,
        "resolution_rate": 1.0,
    }
    assert row["average_throughput_seconds"] == 5 * 3600  # the merged ticket's time left out
    # the new measures last, so that CSV columns keep their places
    assert list(row)[-4:] == [
        "merged",
        "customer_waits",
        "customer_wait_ms",
        "average_customer_wait_seconds",
    ]


WAITS = ("customer_waits", "customer_wait_ms", "average_customer_wait_seconds")


def test_waiting_for_the_customer_and_back_changes_nothing_but_the_waits() -> None:
    waiting = [
        changed("T-1", 1, "open", "pending_customer"),
        changed("T-1", 2, "pending_customer", "open"),
    ]

    with_waits = tickets([*REOPENED_AND_CLOSED_AGAIN, *waiting])
    without = tickets(REOPENED_AND_CLOSED_AGAIN)

    assert {k: v for k, v in with_waits.items() if k not in WAITS} == {
        k: v for k, v in without.items() if k not in WAITS
    }
    assert [with_waits[k] for k in WAITS] == [1, HOUR_MS, 3600]
    assert [without[k] for k in WAITS] == [0, 0, None]


def test_any_arrival_order_counts_the_same() -> None:
    rows = {str(tickets(list(order))) for order in permutations(REOPENED_AND_CLOSED_AGAIN)}

    assert len(rows) == 1


def test_the_backlog_counts_a_reopened_ticket_from_its_reopening_and_not_a_merged_one() -> None:
    events = [*REOPENED_AND_CLOSED_AGAIN, opened("T-2"), merged("T-2", 26)]
    # T-1: closed on day 1 (13:00 UTC), reopened on day 2 (14:00 UTC), closed again on day 3
    # (00:00 UTC, 02:00 in Rome); T-2 open until merged on day 2.
    rows = backlog_report(projection(events), ReportQuery(DAY, DAY + timedelta(days=4), ("day",)))

    assert rows == [
        {"day": "2026-04-01", "backlog": 1},
        {"day": "2026-04-02", "backlog": 1},
    ]


def test_the_time_a_ticket_was_closed_is_held_by_no_one() -> None:
    events = [
        *REOPENED_AND_CLOSED_AGAIN,
        assigned("T-1", 2, "bruno"),
        assigned("T-1", 20, "dario"),  # while closed: claims refuses it; it takes nothing
        assigned("T-1", 35, "carla"),
    ]
    rows = assignee_report(
        projection(events), ReportQuery(DAY, DAY + timedelta(days=1), ("assignee",))
    )

    assert [(r["assignee"], r["stretches"], r["held_ms"]) for r in rows] == [
        ("anna", 1, 2 * HOUR_MS),
        ("bruno", 1, (3 + 5) * HOUR_MS),  # 2 -> 5, then from the reopening (30) to carla (35)
        ("carla", 1, 5 * HOUR_MS),
    ]


def test_a_batch_keeps_each_ticket_s_latest_close_reopening_or_merge() -> None:
    events = [
        *REOPENED_AND_CLOSED_AGAIN[1:3],
        merged("T-2", 3),
        changed("T-3", 1, "open", "pending_team"),
    ]

    steps = entity_changes([("ticket-changes", e) for e in reversed(events)]).steps

    assert steps == {
        ("ticket", "T-1"): Step(at(30), "T-1/s30", None),
        ("ticket", "T-2"): Step(at(3), "T-2/m", at(3)),
    }


def test_each_finished_wait_for_the_customer_runs_to_the_ticket_s_next_step() -> None:
    events = [
        opened("T-1"),
        changed("T-1", 1, "open", "pending_customer"),
        changed("T-1", 3, "pending_customer", "open"),  # answered: 2 h
        changed("T-1", 4, "open", "pending_customer"),
        closed("T-1", 8, "unresolved"),  # closed while waiting: 4 h
        changed("T-1", 9, "closed", "open"),
        changed("T-1", 10, "open", "pending_team"),  # waiting for a team is not counted
        changed("T-1", 12, "pending_team", "open"),
        opened("T-2"),
        changed("T-2", 1, "open", "pending_customer"),  # still waiting: not counted yet
    ]

    row = tickets(events)

    assert [row[k] for k in WAITS] == [2, 6 * HOUR_MS, 3 * 3600]

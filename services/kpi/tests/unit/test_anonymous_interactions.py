"""Interactions of nobody identified (customer_id null) each count as their own first contact:
two unknown callers are not one customer calling twice."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from cc_schemas import Direction, InteractionChannel, InteractionRecorded
from kpi.omni_reports import interaction_report
from kpi.omnichannel import OmnichannelProjection
from kpi.reports import ReportQuery
from kpi_oracle.reference import interaction_kpis

AT = datetime(2026, 3, 14, 9, tzinfo=UTC)


def _resolved(interaction_id: str, customer_id: str | None, at: datetime) -> InteractionRecorded:
    return InteractionRecorded(
        event_id=f"e-{interaction_id}",
        occurred_at=at,
        source="crm",
        interaction_id=interaction_id,
        customer_id=customer_id,
        channel=InteractionChannel.PHONE,
        direction=Direction.INBOUND,
        started_at=at,
        ended_at=at + timedelta(minutes=3),
        resolved=True,
    )


def _fcr(*interactions: InteractionRecorded) -> dict[str, object]:
    """kpi's figures, checked against the reference's (kpi_oracle) for the same events."""
    zone, day, next_day = ZoneInfo("Europe/Rome"), date(2026, 3, 14), date(2026, 3, 15)
    omni = OmnichannelProjection(zone=zone)
    for interaction in interactions:
        omni.apply(interaction)
    (row,) = interaction_report(omni, ReportQuery(day, next_day))
    (expected,) = interaction_kpis(list(interactions), zone, day, next_day, ())
    names = ("interactions", "resolved", "first_contact_resolved")
    assert {k: row[k] for k in names} == {k: expected[k] for k in names}
    return {k: row[k] for k in names}


def test_two_unknown_callers_are_each_resolved_at_first_contact() -> None:
    assert _fcr(
        _resolved("call-1", None, AT), _resolved("call-2", None, AT + timedelta(hours=1))
    ) == {"interactions": 2, "resolved": 2, "first_contact_resolved": 2}


def test_one_known_customer_calling_twice_is_a_repeat_contact() -> None:
    assert _fcr(
        _resolved("call-1", "C-42", AT), _resolved("call-2", "C-42", AT + timedelta(hours=1))
    ) == {"interactions": 2, "resolved": 2, "first_contact_resolved": 1}

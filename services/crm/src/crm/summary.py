"""The first-second summary of a customer (name, language, tiers, strategic level and its
reason, competence, orders in progress, open claims, last contact), from the row the summary
query returns. Pure: no I/O."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from cc_schemas import CustomerSummary, LoyaltyTier
from crm.repository import SummaryWindow
from crm.strategic import CustomerValue, StrategicRule, strategic_level

YEAR = timedelta(days=365)


def window(rule: StrategicRule, now: datetime) -> SummaryWindow:
    return SummaryWindow(
        value_since=now - YEAR,
        recent_since=now - timedelta(days=rule.recent_contact_days),
        currency=rule.currency,
    )


def summary_of(row: dict[str, Any], rule: StrategicRule) -> CustomerSummary:
    tier = LoyaltyTier(row["loyalty_tier"])
    value = CustomerValue(
        orders_12m=row["orders_12m"],
        spend_12m_cents=int(row["spend_12m"]),
        loyalty_tier=tier,
        open_claims=row["open_claims"],
        recent_contacts=row["recent_contacts"],
    )
    strategic = strategic_level(value, rule)
    name = " ".join(p for p in (row["first_name"], row["last_name"]) if p) or None
    return CustomerSummary(
        customer_id=row["customer_id"],
        name=name,
        language=row["language"],
        loyalty_tier=tier,
        strategic_level=strategic.level,
        strategic_reason=strategic.reason,
        competence_needed=row["competence_needed"],
        orders_in_progress=row["in_progress"],
        open_claims=row["open_claims"],
        last_contact_at=row["last_contact_at"],
        opt_outs=tuple(row["opt_outs"]),
        possible_duplicate=row["possible_duplicate"],
    )

"""The strategic level of a customer and its reason in words: the one place the rule lives.
Pure: no I/O; the thresholds are configuration (`strategic.toml`, or CRM_STRATEGIC_FILE).

The rule, in order:
1. value over the last 12 months: the highest level whose order count or spend is reached;
2. the loyalty tier is a floor: a gold member is at least gold;
3. attention: an open claim, or many recent contacts, raise the level by one step (a customer
   with a problem in progress is worth an operator's best, whatever they spent).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from cc_schemas import LoyaltyTier, StrategicLevel

ORDER = [
    StrategicLevel.STANDARD,
    StrategicLevel.SILVER,
    StrategicLevel.GOLD,
    StrategicLevel.PLATINUM,
]
DEFAULT_FILE = Path(__file__).with_name("strategic.toml")


class Threshold(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    orders: int = Field(ge=1, description="Orders in 12 months that reach the level.")
    spend: int = Field(ge=0, description="Or spend in 12 months, in whole currency units.")


class StrategicRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    currency: str = Field("EUR", pattern=r"^[A-Z]{3}$")
    silver: Threshold = Threshold(orders=4, spend=300)
    gold: Threshold = Threshold(orders=10, spend=1000)
    platinum: Threshold = Threshold(orders=20, spend=2500)
    open_claims_raise: int = Field(1, ge=1, description="Open claims that raise one step.")
    recent_contacts_raise: int = Field(3, ge=1, description="Contacts that raise one step.")
    recent_contact_days: int = Field(30, ge=1, description="What 'recent' means, in days.")


def load_rule(path: Path = DEFAULT_FILE) -> StrategicRule:
    with path.open("rb") as file:
        return StrategicRule.model_validate(tomllib.load(file))


@dataclass(frozen=True)
class CustomerValue:
    orders_12m: int
    spend_12m_cents: int  # in the rule's currency
    loyalty_tier: LoyaltyTier
    open_claims: int
    recent_contacts: int


@dataclass(frozen=True)
class Strategic:
    level: StrategicLevel
    reason: str


def strategic_level(value: CustomerValue, rule: StrategicRule) -> Strategic:
    level = _by_value(value, rule)
    spend = _money(value.spend_12m_cents, rule.currency)
    reason = [f"{_count(value.orders_12m, 'order')}, {spend} in 12 months"]
    floor = _TIER_FLOOR[value.loyalty_tier]
    if ORDER.index(floor) > ORDER.index(level):
        level = floor
        reason.append(f"loyalty tier {value.loyalty_tier.value}")
    attention = _attention(value, rule)
    if attention:
        level = ORDER[min(ORDER.index(level) + 1, len(ORDER) - 1)]
        reason.append("raised one step: " + " and ".join(attention))
    return Strategic(level, f"{level.value}: " + "; ".join(reason))


_TIER_FLOOR = {
    LoyaltyTier.NONE: StrategicLevel.STANDARD,
    LoyaltyTier.BRONZE: StrategicLevel.STANDARD,
    LoyaltyTier.SILVER: StrategicLevel.SILVER,
    LoyaltyTier.GOLD: StrategicLevel.GOLD,
    LoyaltyTier.PLATINUM: StrategicLevel.PLATINUM,
}


def _by_value(value: CustomerValue, rule: StrategicRule) -> StrategicLevel:
    for level, threshold in (
        (StrategicLevel.PLATINUM, rule.platinum),
        (StrategicLevel.GOLD, rule.gold),
        (StrategicLevel.SILVER, rule.silver),
    ):
        if value.orders_12m >= threshold.orders or value.spend_12m_cents >= threshold.spend * 100:
            return level
    return StrategicLevel.STANDARD


def _attention(value: CustomerValue, rule: StrategicRule) -> list[str]:
    why = []
    if value.open_claims >= rule.open_claims_raise:
        why.append(_count(value.open_claims, "open claim"))
    if value.recent_contacts >= rule.recent_contacts_raise:
        contacts = _count(value.recent_contacts, "contact")
        why.append(f"{contacts} in {rule.recent_contact_days} days")
    return why


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _money(cents: int, currency: str) -> str:
    """Whole units with thousands separators, as an operator reads it: EUR 1,240."""
    return f"{currency} {round(cents / 100):,}"

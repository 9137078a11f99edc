"""The strategic level: value, loyalty floor, attention; the reason says each in words."""

import pytest

from cc_schemas import LoyaltyTier, StrategicLevel
from crm.strategic import CustomerValue, StrategicRule, load_rule, strategic_level

RULE = load_rule()


def value(
    orders: int = 0,
    spend: int = 0,
    tier: LoyaltyTier = LoyaltyTier.NONE,
    claims: int = 0,
    contacts: int = 0,
) -> CustomerValue:
    return CustomerValue(orders, spend * 100, tier, claims, contacts)


def test_the_shipped_thresholds_are_the_rules_defaults() -> None:
    assert StrategicRule() == RULE


def test_fourteen_orders_are_gold_with_the_reason_an_operator_reads() -> None:
    result = strategic_level(value(orders=14, spend=1240), RULE)

    assert (result.level, result.reason) == (
        StrategicLevel.GOLD,
        "gold: 14 orders, EUR 1,240 in 12 months",
    )


@pytest.mark.parametrize(
    ("orders", "spend", "level"),
    [
        (0, 0, StrategicLevel.STANDARD),
        (3, 299, StrategicLevel.STANDARD),
        (4, 0, StrategicLevel.SILVER),
        (1, 300, StrategicLevel.SILVER),
        (9, 999, StrategicLevel.SILVER),
        (1, 1000, StrategicLevel.GOLD),
        (20, 0, StrategicLevel.PLATINUM),
        (1, 2500, StrategicLevel.PLATINUM),
    ],
)
def test_orders_or_spend_reach_a_level(orders: int, spend: int, level: StrategicLevel) -> None:
    assert strategic_level(value(orders, spend), RULE).level == level


def test_the_loyalty_tier_is_a_floor_and_says_so() -> None:
    result = strategic_level(value(orders=1, spend=20, tier=LoyaltyTier.GOLD), RULE)

    assert result.reason == "gold: 1 order, EUR 20 in 12 months; loyalty tier gold"


def test_a_tier_below_the_value_changes_nothing() -> None:
    result = strategic_level(value(orders=25, tier=LoyaltyTier.SILVER), RULE)

    assert result.reason == "platinum: 25 orders, EUR 0 in 12 months"


def test_an_open_claim_and_recent_contacts_raise_one_step_once() -> None:
    result = strategic_level(value(orders=4, claims=1, contacts=3), RULE)

    assert result.level == StrategicLevel.GOLD
    assert result.reason == (
        "gold: 4 orders, EUR 0 in 12 months; "
        "raised one step: 1 open claim and 3 contacts in 30 days"
    )


def test_platinum_stays_platinum_when_raised() -> None:
    assert strategic_level(value(orders=30, claims=2), RULE).level == StrategicLevel.PLATINUM


def test_thresholds_are_configurable() -> None:
    strict = StrategicRule(gold={"orders": 50, "spend": 10_000})  # type: ignore[arg-type]

    assert strategic_level(value(orders=14, spend=1240), strict).level == StrategicLevel.SILVER

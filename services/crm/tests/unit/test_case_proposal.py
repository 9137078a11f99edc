"""Which open case a new contact is proposed for: the scoring rule, and what a case refuses."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm.cases import (
    CaseRefused,
    ContactFacts,
    OpenCase,
    ProposalRule,
    check_merge,
    check_split,
    propose,
    score,
)

RULE = ProposalRule(window=timedelta(days=14))
NOW = datetime(2026, 3, 14, 9, tzinfo=UTC)


def case(case_id: str, days_ago: float, **facts: str | None) -> OpenCase:
    return OpenCase(
        case_id, facts.pop("customer_id", "C-1"), NOW - timedelta(days=days_ago), **facts
    )  # type: ignore[arg-type]


def contact(**facts: str | None) -> ContactFacts:
    return ContactFacts(customer_id=facts.pop("customer_id", "C-1"), started_at=NOW, **facts)


def test_the_same_order_outweighs_the_same_reason_and_recency() -> None:
    cases = [
        case("K-reason", 0.1, reason="delivery"),
        case("K-order", 10, order_id="O-7"),
        case("K-nothing", 0),
    ]

    found = propose(contact(order_id="O-7", reason="delivery"), cases, RULE)

    assert [p.case_id for p in found] == ["K-order", "K-reason", "K-nothing"]
    assert found[0].why == ("same customer", "same order O-7", "last contact 10 d before")


def test_between_equal_matches_the_latest_case_wins() -> None:
    found = propose(
        contact(product="SKU-1"),
        [case("K-old", 9, product="SKU-1"), case("K-new", 2, product="SKU-1")],
        RULE,
    )

    assert [p.case_id for p in found] == ["K-new", "K-old"]


def test_another_customers_case_an_unknown_caller_and_an_old_case_are_never_proposed() -> None:
    cases = [case("K-other", 1, customer_id="C-2"), case("K-old", 15)]

    assert propose(contact(), cases, RULE) == []
    assert propose(contact(customer_id=None), [case("K-mine", 1)], RULE) == []


def test_the_window_is_configurable() -> None:
    wide = ProposalRule(window=timedelta(days=30))

    assert [p.case_id for p in propose(contact(), [case("K-old", 20)], wide)] == ["K-old"]


moments = st.floats(min_value=0, max_value=60)
values = st.sampled_from([None, "a", "b"])


@given(moments, values, values, values, values, values, values, st.sampled_from(["C-1", "C-2"]))
def test_a_score_exists_only_for_the_same_customer_within_the_window_and_is_bounded(
    days: float,
    order: str | None,
    product: str | None,
    reason: str | None,
    case_order: str | None,
    case_product: str | None,
    case_reason: str | None,
    customer: str,
) -> None:
    mine = contact(order_id=order, product=product, reason=reason)
    theirs = case(
        "K",
        days,
        customer_id=customer,
        order_id=case_order,
        product=case_product,
        reason=case_reason,
    )

    found = score(mine, theirs, RULE)

    possible = customer == "C-1" and timedelta(days=days) <= RULE.window
    assert (found is not None) == possible
    top = RULE.same_order + RULE.same_product + RULE.same_reason + RULE.recency
    assert found is None or 0 <= found.score <= top


def test_a_split_keeps_a_contact_and_takes_only_the_cases_own() -> None:
    with pytest.raises(CaseRefused, match="not contacts of this case: c9"):
        check_split({"c1", "c2"}, {"c9"})
    with pytest.raises(CaseRefused, match="at least one contact"):
        check_split({"c1", "c2"}, {"c1", "c2"})
    check_split({"c1", "c2"}, {"c2"})


@pytest.mark.parametrize(
    ("case_row", "into_row", "why"),
    [
        (
            {"case_id": "K", "state": "open", "customer_id": "C"},
            {"case_id": "K", "state": "open", "customer_id": "C"},
            "into itself",
        ),
        (
            {"case_id": "K", "state": "resolved", "customer_id": "C"},
            {"case_id": "L", "state": "open", "customer_id": "C"},
            "is resolved",
        ),
        (
            {"case_id": "K", "state": "open", "customer_id": "C"},
            {"case_id": "L", "state": "merged", "customer_id": "C"},
            "itself merged",
        ),
        (
            {"case_id": "K", "state": "open", "customer_id": "C"},
            {"case_id": "L", "state": "open", "customer_id": "D"},
            "different customers",
        ),
    ],
)
def test_what_a_merge_refuses(
    case_row: dict[str, object], into_row: dict[str, object], why: str
) -> None:
    with pytest.raises(CaseRefused, match=why):
        check_merge(case_row, into_row)

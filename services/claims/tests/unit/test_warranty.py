"""Warranty: the cover runs from delivery (the order's date without one) for the configured
months, to the day; the product's checklist comes first, then the default one; a walked
checklist decides by the first failed check, a misuse outweighing a user error."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from claims.warranty import (
    Answer,
    IncompleteChecklist,
    Purchase,
    Verdict,
    cover,
    load_checklists,
    walk,
)

CHECKLISTS = load_checklists()


def purchase(placed: date, delivered: date | None = None) -> Purchase:
    return Purchase("O-1", "C-1", placed, delivered, ("TRN-2040",))


@pytest.mark.parametrize(
    ("delivered", "on", "covered", "until"),
    [
        (date(2024, 3, 5), date(2026, 3, 4), True, date(2026, 3, 4)),
        (date(2024, 3, 5), date(2026, 3, 5), False, date(2026, 3, 4)),
        (date(2024, 2, 29), date(2026, 2, 27), True, date(2026, 2, 27)),  # no 29 Feb in 2026
        (None, date(2026, 3, 1), True, date(2026, 3, 1)),  # from the order, 2 March 2024
    ],
    ids=["last-day", "day-after", "leap-day", "no-delivery"],
)
def test_the_cover_runs_24_months_from_delivery_to_the_day(
    delivered: date | None, on: date, covered: bool, until: date
) -> None:
    found = cover(purchase(date(2024, 3, 2), delivered), 24, on)
    assert (found.covered, found.until) == (covered, until)


def test_a_train_is_checked_for_its_isolating_tab_before_the_common_checks() -> None:
    ids = [c.check_id for c in CHECKLISTS.for_product("TRN-2040")]
    assert ids == ["isolating_tab", "track_joined", "batteries", "damage"]
    assert [c.check_id for c in CHECKLISTS.for_product("PUZ-1")] == ["batteries", "damage"]
    assert [c.check_id for c in CHECKLISTS.for_product(None)] == ["batteries", "damage"]


def test_the_first_failed_check_decides_and_misuse_outweighs_a_user_error() -> None:
    train = CHECKLISTS.for_product("TRN-2040")
    fine = dict.fromkeys([c.check_id for c in train], Answer.FINE)
    assert walk(train, fine).verdict is Verdict.DEFECT
    tab = walk(train, fine | {"isolating_tab": Answer.FAILED, "batteries": Answer.FAILED})
    assert (tab.verdict, tab.decided_by) == (Verdict.USER_ERROR, "isolating_tab")
    dropped = walk(train, fine | {"isolating_tab": Answer.FAILED, "damage": Answer.FAILED})
    assert (dropped.verdict, dropped.decided_by) == (Verdict.MISUSE, "damage")


def test_a_checklist_half_walked_is_refused_with_what_is_missing() -> None:
    train = CHECKLISTS.for_product("TRN-2040")
    with pytest.raises(
        IncompleteChecklist, match=r"missing \['track_joined', 'batteries', 'damage'\]"
    ):
        walk(train, {"isolating_tab": Answer.FINE, "wheels": Answer.FINE})


@given(
    placed=st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 1, 1)),
    months=st.integers(min_value=1, max_value=120),
    days=st.integers(min_value=-400, max_value=400),
)
def test_covered_exactly_up_to_the_last_day(placed: date, months: int, days: int) -> None:
    found = cover(purchase(placed), months, placed)
    on = date.fromordinal(found.until.toordinal() + days)
    assert cover(purchase(placed), months, on).covered == (on <= found.until)
    assert found.until >= placed

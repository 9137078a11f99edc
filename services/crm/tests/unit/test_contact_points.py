"""Phones to E.164 and national form, e-mails lower-cased: every way of writing one number gives
one key, and nothing but InvalidContactPoint comes out of bad input."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm.contact_points import (
    InvalidContactPoint,
    Phone,
    caller_phone,
    normalise_email,
    normalise_handle,
    normalise_phone,
)

MILAN = Phone(e164="+390212345678", national="0212345678")


@pytest.mark.parametrize(
    "written",
    ["+39 02 1234 5678", "0039 02 1234 5678", "02 1234 5678", "02-12345678", "(02) 12345678"],
)
def test_a_milan_number_written_any_way_is_one_number_with_its_leading_zero(written: str) -> None:
    assert normalise_phone(written, "IT") == MILAN


def test_a_number_without_prefix_takes_the_default_region() -> None:
    assert normalise_phone("030 1234567", "DE").e164 == "+49301234567"
    assert normalise_phone("030 1234567", "IT").e164 == "+390301234567"  # Brescia, zero kept


@pytest.mark.parametrize(
    ("written", "reason"),
    [("", "phone is empty"), ("call me", "is not a number"), ("+39 12", "not a valid number")],
)
def test_an_unusable_phone_says_why(written: str, reason: str) -> None:
    with pytest.raises(InvalidContactPoint, match=reason):
        normalise_phone(written, "IT")


# Italian mobiles: 3 then nine digits; any spacing and prefix.
mobiles = st.from_regex(r"3[1-9][0-9]{8}", fullmatch=True)
prefixes = st.sampled_from(["", "+39", "0039", "+39 "])


@given(mobiles, prefixes, st.lists(st.integers(1, 9), max_size=3))
def test_spacing_and_prefix_never_change_the_number(
    digits: str, prefix: str, cuts: list[int]
) -> None:
    spaced = digits
    for cut in sorted(set(cuts), reverse=True):
        spaced = spaced[:cut] + " " + spaced[cut:]
    try:
        expected = normalise_phone(digits, "IT")
    except InvalidContactPoint:
        return  # a range phonenumbers does not allocate: nothing to compare
    assert normalise_phone(prefix + spaced, "IT") == expected


@given(st.text(max_size=40), st.sampled_from(["IT", "DE", "GB", "US"]))
def test_any_text_is_a_phone_or_an_invalid_contact_point(text: str, region: str) -> None:
    try:
        phone = normalise_phone(text, region)
    except InvalidContactPoint:
        return
    assert phone.e164.startswith("+")
    assert normalise_phone(phone.e164, region) == phone


@pytest.mark.parametrize("withheld", ["", "anonymous", "Restricted", " private "])
def test_a_withheld_caller_id_has_nothing_to_match(withheld: str) -> None:
    assert caller_phone(withheld, "IT") is None


def test_an_invalid_caller_id_is_still_matched_by_its_national_digits() -> None:
    assert caller_phone("0212", "IT") == Phone(e164="", national="0212")
    assert caller_phone("+39 02 1234 5678", "IT") == MILAN


def test_an_email_is_lower_cased_local_part_too_dots_and_tags_kept() -> None:
    assert normalise_email("  Anna.Rossi+toys@Example.IT. ") == "anna.rossi+toys@example.it"


@pytest.mark.parametrize(
    ("written", "reason"),
    [
        ("anna", "no local part"),
        ("@example.it", "no local part"),
        ("anna@localhost", "no valid domain"),
        ("an na@example.it", "space"),
        ("a@b@example.it", "more than one @"),
        ("anna@example..it", "no valid domain"),
    ],
)
def test_an_unusable_email_says_why(written: str, reason: str) -> None:
    with pytest.raises(InvalidContactPoint, match=reason):
        normalise_email(written)


@given(st.text(max_size=60))
def test_any_text_is_an_email_or_an_invalid_contact_point_and_normalising_is_stable(
    text: str,
) -> None:
    try:
        address = normalise_email(text)
    except InvalidContactPoint:
        return
    assert address == address.lower()
    assert normalise_email(address) == address


def test_a_social_handle_loses_its_at_and_case() -> None:
    assert normalise_handle(" @Anna.Toys ") == "anna.toys"

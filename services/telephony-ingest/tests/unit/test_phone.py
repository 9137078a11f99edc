"""Caller numbers: the default region asked first gives phonenumbers' own answer."""

import phonenumbers
from hypothesis import given
from hypothesis import strategies as st

from telephony_ingest.phone import _valid

NUMBERS = st.builds(
    lambda prefix, digits: prefix + digits,
    st.sampled_from(["0", "00", "+39", "+39 06698", "+41", "+1", "3", ""]),
    st.text(alphabet="0123456789", min_size=4, max_size=12),
)


@given(NUMBERS, st.sampled_from(["IT", "VA", "DE", "US"]))
def test_validity_is_phonenumbers_own(raw: str, region: str) -> None:
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return
    assert _valid(number, region) == phonenumbers.is_valid_number(number)

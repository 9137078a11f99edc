"""Caller numbers to E.164 with `phonenumbers`; withheld and malformed numbers flagged. No I/O."""

from functools import lru_cache

import phonenumbers

from cc_schemas import Caller

# What PBXs and carriers put in the caller id when the number is not presented.
WITHHELD = frozenset(
    {"", "anonymous", "unknown", "restricted", "private", "withheld", "unavailable", "<unknown>"}
)


def normalise_caller(raw: str, region: str, name: str | None = None) -> Caller:
    """The caller as received, with its E.164 form when it is a valid number."""
    e164, withheld, invalid = _classify(raw.strip(), region)
    return Caller(number_raw=raw, e164=e164, name=name or None, withheld=withheld, invalid=invalid)


@lru_cache(maxsize=65_536)
def _classify(raw: str, region: str) -> tuple[str | None, bool, bool]:
    if raw.lower() in WITHHELD:
        return None, True, False
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None, False, True
    if not _valid(number, region):
        return None, False, True
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), False, False


def _valid(number: phonenumbers.PhoneNumber, region: str) -> bool:
    """`is_valid_number`, asking the default region first: a number valid there is valid (its
    region is the first of its country code that it fits), and finding its region otherwise
    costs as much again (a third of a bulk import's mapping time, new callers all)."""
    if phonenumbers.is_valid_number_for_region(number, region):
        return True
    return bool(phonenumbers.is_valid_number(number))

"""Recognition's order of confidence and its levels, with in-memory lookups."""

from cc_schemas import IdentificationLevel, MatchedBy
from crm.contact_points import Phone, caller_phone
from crm.recognition import Identification, Lookups, Presented, identify

PHONES = {"+390212345678": ["C-1"], "+393471234567": ["C-2", "C-3"]}
NATIONAL = {"0212345678": ["C-1"], "3471234567": ["C-2", "C-3"], "0612345678": ["C-4"]}
EMAILS = {"anna@example.it": ["C-1"]}


def table(rows: dict[str, list[str]], asked: list[str]) -> object:
    async def lookup(key: str) -> list[str]:
        asked.append(key)
        return rows.get(key, [])

    return lookup


def lookups(asked: list[str]) -> Lookups:
    return Lookups(
        by_e164=table(PHONES, asked),  # type: ignore[arg-type]
        by_national=table(NATIONAL, asked),  # type: ignore[arg-type]
        by_email=table(EMAILS, asked),  # type: ignore[arg-type]
        by_handle=table({}, asked),  # type: ignore[arg-type]
    )


async def test_an_exact_e164_match_is_known_without_asking_further() -> None:
    asked: list[str] = []
    found = await identify(Presented(phone=caller_phone("02 1234 5678", "IT")), lookups(asked))

    assert found == Identification(
        IdentificationLevel.KNOWN, MatchedBy.E164, "+390212345678", ("C-1",)
    )
    assert asked == ["+390212345678"]


async def test_a_shared_number_is_ambiguous_listing_each_customer() -> None:
    found = await identify(Presented(phone=caller_phone("+39 347 1234567", "IT")), lookups([]))

    assert (found.level, found.customer_ids) == (IdentificationLevel.AMBIGUOUS, ("C-2", "C-3"))


async def test_the_national_number_matches_a_number_written_for_another_country() -> None:
    # A Roman number a customer typed as +41 06 ... is still 0612345678 nationally.
    found = await identify(Presented(phone=Phone("+41612345678", "0612345678")), lookups([]))

    assert (found.level, found.matched_by) == (IdentificationLevel.KNOWN, MatchedBy.NATIONAL_NUMBER)


async def test_an_email_is_tried_after_the_phone() -> None:
    presented = Presented(phone=caller_phone("+39 333 0000000", "IT"), email="anna@example.it")

    found = await identify(presented, lookups([]))

    assert (found.matched_by, found.customer_ids) == (MatchedBy.EMAIL, ("C-1",))


async def test_a_number_nobody_has_is_unknown_and_says_what_was_tried() -> None:
    found = await identify(Presented(phone=caller_phone("+39 333 0000000", "IT")), lookups([]))

    assert found == Identification(IdentificationLevel.UNKNOWN, None, "+393330000000", ())


async def test_a_withheld_number_is_anonymous_and_asks_nothing() -> None:
    asked: list[str] = []
    found = await identify(Presented(phone=caller_phone("anonymous", "IT")), lookups(asked))

    assert (found.level, asked) == (IdentificationLevel.ANONYMOUS, [])


async def test_an_extension_is_unknown_without_being_looked_up_by_its_digits() -> None:
    asked: list[str] = []
    found = await identify(Presented(phone=caller_phone("1127", "IT")), lookups(asked))

    assert (found.level, found.presented, asked) == (IdentificationLevel.UNKNOWN, "1127", [])

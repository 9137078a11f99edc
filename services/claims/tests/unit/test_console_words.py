"""The back-office screen's words: the language chosen from ?lang= and the browser's, the
durations and countdowns it shows, and both languages saying the same things."""

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from claims.console.render import deadline, reason_of
from claims.console.words import EN, IT, LANGUAGES, language, span

NOW = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)


def test_the_asked_language_wins_then_the_browsers_first_one_we_speak() -> None:
    assert language("it", "en-GB,en;q=0.9") == "it"
    assert language(None, "de-DE,it;q=0.8,en;q=0.5") == "it"
    assert language("fr", "fr-FR") == "en"


@given(st.one_of(st.none(), st.text(max_size=20)), st.one_of(st.none(), st.text(max_size=200)))
def test_any_query_and_header_give_a_language_of_ours(
    asked: str | None, header: str | None
) -> None:
    assert language(asked, header) in LANGUAGES


def test_durations_are_said_in_days_hours_and_minutes() -> None:
    assert span(59 * 60 + 59, "en") == "59 min"
    assert span(3 * 3600 + 20 * 60, "en") == "3 h 20 min"
    assert span(2 * 86400 + 3 * 3600 + 59, "it") == "2 g 3 h"


def test_a_deadline_counts_down_and_then_says_how_late_it_is() -> None:
    due = (NOW + timedelta(hours=1, minutes=5)).isoformat()
    late = (NOW - timedelta(minutes=35)).isoformat()
    assert deadline(due, NOW, "en") == ("due in 1 h 5 min", False)
    assert deadline(late, NOW, "it") == ("scaduto da 35 min", True)
    assert deadline(None, NOW, "en") == ("no deadline running", False)


def test_a_refusal_says_the_apis_reason_or_its_validation_errors() -> None:
    assert reason_of({"detail": "ticket T-1 is held by logistics"}) == (
        "ticket T-1 is held by logistics"
    )
    errors = [{"loc": ["body", "person"], "msg": "Field required"}]
    assert reason_of({"detail": errors}) == "person: Field required"


def test_english_and_italian_name_the_same_things() -> None:
    assert set(EN) == set(IT)
    for key, value in EN.items():
        if isinstance(value, dict):
            assert set(value) == set(IT[key]), key

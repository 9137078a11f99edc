"""Cleaning: greetings, signatures and quoted history go; the question stays."""

from knowledge.mining.clean import clean


def test_an_english_email_keeps_only_its_question() -> None:
    text = (
        "Hi team,\n\nMy parcel never arrived, can you check?\n\nKind regards,\nAnna\n"
        "Sent from my iPhone\n\nOn Mon, 3 Jun 2026 at 10:00, Shop <help@shop.it> wrote:\n"
        "> Dear Anna, thanks for your order"
    )
    assert clean(text) == "My parcel never arrived, can you check?"


def test_an_italian_email_keeps_only_its_question() -> None:
    text = (
        "Buongiorno,\nil gioco è arrivato rotto.\nCordiali saluti\nMarco\n\n"
        "Il giorno lun 3 giu 2026 Negozio ha scritto:\n> Gentile cliente"
    )
    assert clean(text) == "il gioco è arrivato rotto."


def test_a_quoted_reply_ends_the_text() -> None:
    assert clean("Still waiting.\n> On Monday you said two days") == "Still waiting."


def test_a_one_line_chat_message_is_left_as_it_is() -> None:
    assert clean("where is my order") == "where is my order"


def test_a_thanks_on_the_first_line_is_not_a_signature() -> None:
    assert (
        clean("Thanks, but the refund is still missing")
        == "Thanks, but the refund is still missing"
    )

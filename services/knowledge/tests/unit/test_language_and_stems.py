"""Language by stopwords; Snowball stems per language."""

from knowledge.mining.language import detect_language
from knowledge.mining.normalise import content_words, normalise


def test_italian_and_english_questions_are_told_apart() -> None:
    assert detect_language("Il mio pacco non è ancora arrivato, quando arriva?") == "it"
    assert detect_language("My parcel has not arrived yet, when will it come?") == "en"


def test_a_text_without_stopwords_takes_the_default() -> None:
    assert detect_language("Lego Technic", default="it") == "it"


def test_inflected_words_share_their_stem_in_each_language() -> None:
    assert normalise("rimborsi rimborso", "it").split() == ["rimbors", "rimbors"]
    assert normalise("refunded refunds", "en").split() == ["refund", "refund"]


def test_placeholders_and_stopwords_are_not_content() -> None:
    assert content_words("my [name] wants to change the name on the box", "en") == [
        "wants",
        "change",
        "name",
        "box",
    ]

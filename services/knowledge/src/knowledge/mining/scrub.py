"""Scrubbing personal data from a case's words before anything is mined or shown: e-mails, web
links, phone numbers (phonenumbers' matcher, Italian numbering by default), street addresses and
postcodes, order and ticket numbers (any code carrying digits), and names where the words around
them tell (a title, "my name is", "mi chiamo", a sign-off). Each is replaced by a placeholder
saying what stood there. Pure."""

import re
from collections.abc import Iterable
from importlib import resources

import phonenumbers

EMAIL = "[email]"
PHONE = "[phone]"
ADDRESS = "[address]"
CODE = "[number]"
NAME = "[name]"
LINK = "[link]"

_EMAIL = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(\.[\w-]+)*", re.UNICODE)
_LINK = re.compile(r"\b(https?://|www\.)\S+", re.IGNORECASE)
_STREET = (
    r"via|viale|vicolo|piazza|piazzale|corso|largo|strada|contrada|borgo|localit[aà]|lungomare"
    r"|street|st\.|road|rd\.|avenue|ave\.|lane|drive|close|way|square|place|boulevard"
)
# "Via Roma 12", "Corso Vittorio Emanuele II, 3/B", "12 Baker Street": the street word, up to five
# words of name, a house number; or a number then the name then the street word.
_ADDRESS = re.compile(
    rf"\b({_STREET})\s+([\w'\u2019.-]+\s+){{0,5}}?\d+\s*[a-z]?(/\s*\w+)?\b"
    rf"|\b\d+[a-z]?,?\s+([A-Z][\w'\u2019-]*\s+){{1,4}}({_STREET})\b",
    re.IGNORECASE,
)
_POSTCODE = re.compile(
    r"\b\d{5}\b|\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b"  # Italian CAP; British postcode
)
# Order, ticket and customer numbers: a code of letters and digits ("ORD-2024-001", "T123456")
# or a number after "#", before phones are looked for (a phone matcher takes "2024-00123" for
# one); then any run of four or more digits left.
_CODE = re.compile(r"#\s?\d[\d/-]*|\b(?=[\w/-]*\d)(?=[\w/-]*[^\W\d_])[\w/-]{4,}")
_DIGITS = re.compile(r"\d{4,}")
_NAME_WORD = r"[A-ZÀ-Ý][a-zà-ÿ'\u2019]+(?:[-\s][A-ZÀ-Ý][a-zà-ÿ'\u2019]+){0,3}"
# The words that announce a name, matched in any case; the name itself must be capitalised, so
# "I am waiting" keeps its words. The lead stays ("my name is [name]"), the name goes.
_NAME_LEAD = re.compile(
    r"(?i:\b(?:mr|mrs|ms|miss|dr|sig|sig\.ra|sig\.na|signor|signora|signorina|dott|dott\.ssa"
    r"|ing|avv|prof)\.?\s+"
    r"|\b(?:my name is|my name's|i am|i'm|this is|mi chiamo|sono|il mio nome [eè]|a nome di"
    r"|on behalf of|da parte di|call|ask for|contact|chiamare|chiedere di|contattare)\s+"
    r"|\b(?:regards|thanks|thank you|cheers|sincerely|saluti|grazie|cordialmente|a presto)"
    r"[,!.]?\s+)"
    r"(?P<name>" + _NAME_WORD + ")"
)


def _known_names() -> re.Pattern[str]:
    """Common first names and surnames (first-names.txt), capitalised, with the capitalised
    word after one taken for its surname and the one before for its first name."""
    text = resources.files(__name__.rpartition(".")[0]).joinpath("first-names.txt")
    listed = sorted(
        {w for line in text.read_text("utf-8").splitlines() if not line.startswith("#")
         for w in line.split()},
        key=len, reverse=True,
    )  # fmt: skip
    # A capitalised word just before a listed surname is taken for its first name too: first
    # names left out of the list as common words ("Chiara Rossi") must not stay behind.
    before = r"(?:\b[A-ZÀ-Ý][a-zà-ÿ'\u2019]+\s+)?"
    return re.compile(before + r"\b(?:" + "|".join(listed) + r")\b(?:\s+" + _NAME_WORD + ")?")


_KNOWN_NAME = _known_names()
_MIN_PHONE_DIGITS = 6


def _scrub_phones(text: str, region: str) -> str:
    pieces: list[str] = []
    last = 0
    leniency = phonenumbers.Leniency.POSSIBLE
    for match in phonenumbers.PhoneNumberMatcher(text, region, leniency=leniency):
        digits = sum(ch.isdigit() for ch in match.raw_string)
        if digits < _MIN_PHONE_DIGITS:
            continue
        pieces += [text[last : match.start], PHONE]
        last = match.end
    return "".join(pieces) + text[last:]


def _names(text: str) -> str:
    text = _NAME_LEAD.sub(lambda m: m.group(0)[: m.start("name") - m.start()] + NAME, text)
    return _KNOWN_NAME.sub(NAME, text)


def scrub_known(text: str, known: Iterable[str]) -> str:
    """Removes the strings the source told us are personal (the customer's name on a case)."""
    for value in sorted({k.strip() for k in known if len(k.strip()) >= 2}, key=len, reverse=True):
        text = re.sub(rf"\b{re.escape(value)}\b", NAME, text, flags=re.IGNORECASE)
    return text


def scrub(text: str, known: Iterable[str] = (), region: str = "IT") -> str:
    """The text with no personal data left that these rules can see."""
    text = scrub_known(text, known)
    text = _EMAIL.sub(EMAIL, text)
    text = _LINK.sub(LINK, text)
    text = _CODE.sub(CODE, text)
    text = _scrub_phones(text, region)
    text = _ADDRESS.sub(ADDRESS, text)
    text = _POSTCODE.sub(ADDRESS, text)
    text = _DIGITS.sub(CODE, text)
    text = _names(text)
    return text

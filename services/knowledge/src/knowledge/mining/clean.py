"""Cleaning a customer's or an operator's text: quoted history, signatures and greetings go, the
question or the answer stays. Pure; Italian and English."""

import re

# A reply's quoted history starts at the first of these lines; everything from there on goes.
_HISTORY_START = re.compile(
    r"^\s*(>|-{2,}\s*(original message|messaggio originale)"
    r"|on .{3,120} wrote:|il giorno .{3,120} ha scritto:|.{0,80} ha scritto:"
    r"|(from|da|sent|inviato|to|a|subject|oggetto)\s*:.*@)",
    re.IGNORECASE,
)
# A signature starts at the "-- " separator, a device footer or a sign-off line.
_SIGNATURE_START = re.compile(
    r"^\s*(--\s*$|__+\s*$|sent from my|inviato da|get outlook for"
    r"|(kind |best |warm )?regards\b|best wishes\b|thanks( a lot| again)?[,!.]?\s*$"
    r"|thank you[,!.]?\s*$|cheers[,!.]?\s*$|sincerely\b|yours\b"
    r"|(cordiali |distinti |cari )?saluti\b|un saluto\b|grazie( mille)?[,!.]?\s*$|a presto\b)",
    re.IGNORECASE,
)
# A greeting at the start of the text, with whatever name follows it up to the comma or the end.
_GREETING = re.compile(
    r"^\s*(hi|hello|hey|dear|good (morning|afternoon|evening)|buongiorno|buonasera|salve"
    r"|ciao|gentile|gentili|egregio|spettabile|spett\.le)\b[^,!.\n]{0,60}[,!.:]?\s*",
    re.IGNORECASE,
)
_BLANKS = re.compile(r"\s+")


def without_history(text: str) -> str:
    """The text above the first quoted-history line."""
    kept: list[str] = []
    for line in text.splitlines():
        if _HISTORY_START.match(line):
            break
        kept.append(line)
    return "\n".join(kept)


def without_signature(text: str) -> str:
    """The text above the signature; a sign-off on the first line is not taken for one."""
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if index > 0 and _SIGNATURE_START.match(line):
            return "\n".join(lines[:index])
    return text


def without_greeting(text: str) -> str:
    return _GREETING.sub("", text, count=1)


def clean(text: str) -> str:
    """The words that matter, on one line: history, signature and greeting removed."""
    body = without_greeting(without_signature(without_history(text)).strip())
    return _BLANKS.sub(" ", body).strip()

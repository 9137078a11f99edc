"""A claim in customer words, Italian and English: its state and the steps of its timeline a
customer should see (hand-overs between colleagues and internal checks are not theirs). Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from claims.domain import Change, State

LANGUAGES = ("it", "en")

STATES = {
    State.NEW: ("Abbiamo ricevuto la tua richiesta", "We have received your claim"),
    State.OPEN: ("Ci stiamo lavorando", "We are working on it"),
    State.PENDING_CUSTOMER: ("Aspettiamo una tua risposta", "We are waiting for your answer"),
    State.PENDING_TEAM: ("La stiamo verificando con un collega", "A colleague is checking it"),
    State.PENDING_SUPPLIER: (
        "La stiamo verificando con il produttore",
        "We are checking with the maker",
    ),
    State.RESOLVED: ("Abbiamo deciso", "We have decided"),
    State.CLOSED: ("Chiusa", "Closed"),
    State.MERGED: ("Unita a un'altra tua richiesta", "Joined to another of your claims"),
}
STEPS = {
    "opened": ("Richiesta ricevuta", "Claim received"),
    "waiting": ("Ti abbiamo fatto una domanda", "We asked you a question"),
    "resumed": ("Ripresa in carico", "Back in our hands"),
    "resolved": ("Decisione presa", "Decision taken"),
    "closed": ("Richiesta chiusa", "Claim closed"),
    "reopened": ("Richiesta riaperta", "Claim reopened"),
    "merged": ("Unita a un'altra richiesta", "Joined to another claim"),
    "customer_message": ("Il tuo messaggio", "Your message"),
}
OUTCOMES = {
    "replacement": ("ti inviamo un prodotto sostitutivo", "we are sending you a replacement"),
    "refund": ("ti rimborsiamo", "we are refunding you"),
    "credit_note": ("ti accreditiamo il valore", "we are crediting you its value"),
    "repair": ("lo ripariamo", "we are repairing it"),
    "spare_part_sent": ("ti inviamo il pezzo di ricambio", "we are sending you the spare part"),
    "no_fault_found": (
        "il prodotto funziona: ti mandiamo le istruzioni",
        "the product works: we are sending you the instructions",
    ),
    "voucher": ("ti inviamo un buono", "we are sending you a voucher"),
    "rejected": ("non possiamo accettare la richiesta", "we cannot accept the claim"),
    "disposed_by_customer": ("puoi tenere o smaltire il prodotto", "you may keep or dispose of it"),
    "none": ("", ""),
}
# Reasons a customer reads: what they were asked, what they wrote, what was decided.
SHOWN_REASONS = frozenset({"waiting", "customer_message"})


@dataclass(frozen=True)
class Step:
    at: datetime
    title: str
    text: str | None


def language_of(requested: str | None, accept_language: str | None) -> str:
    """`?lang=` if it is one we speak, else the first of the browser's we speak, else Italian."""
    if requested in LANGUAGES:
        return requested
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()[:2]
        if tag in LANGUAGES:
            return tag
    return "it"


def _pick(pair: tuple[str, str], language: str) -> str:
    return pair[LANGUAGES.index(language)]


def state_words(state: State, language: str) -> str:
    return _pick(STATES[state], language)


def steps(timeline: Sequence[Change], outcome: str | None, language: str) -> list[Step]:
    """The customer's timeline, oldest first."""
    shown = []
    for change in timeline:
        if change.kind not in STEPS:
            continue
        text = change.reason if change.kind in SHOWN_REASONS else None
        if change.kind == "waiting" and change.to_state is not State.PENDING_CUSTOMER:
            continue  # waiting on a colleague or the maker: the state says so
        if change.kind == "resolved" and outcome:
            text = _pick(OUTCOMES.get(outcome, ("", "")), language) or None
        shown.append(Step(change.at, _pick(STEPS[change.kind], language), text))
    return shown

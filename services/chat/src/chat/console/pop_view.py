"""What the console shows of a screen pop, in the operator's language. Pure: a pop (or crm's
search hits) in, words out."""

from __future__ import annotations

from dataclasses import dataclass

from cc_schemas import CustomerSummary, IdentificationLevel
from chat.console.pop_words import POP_WORDS
from chat.screen_pop import Pop, Stage


@dataclass(frozen=True)
class CustomerCard:
    customer_id: str
    name: str
    facts: tuple[str, ...]  # strategic level, orders in progress, claims, last contact...


@dataclass(frozen=True)
class PopView:
    call_id: str
    heading: str  # ringing or on the phone, which call, from which number
    level: str  # pending, known, ambiguous, unknown, anonymous: what the panel shows
    verdict: str  # crm's answer in words
    customers: tuple[CustomerCard, ...]
    searchable: bool  # nobody (or not the right one) found: offer the manual search


def pop_view(pop: Pop, lang: str) -> PopView:
    w = POP_WORDS[lang]
    number = pop.caller_number or w["withheld"]
    heading = w["answered" if pop.stage == Stage.ANSWERED else "ringing"].format(
        call_id=pop.call_id, number=number
    )
    if pop.queue:
        heading = f"{heading} · {w['queue'].format(queue=pop.queue)}"
    found = pop.identification
    if found is None:
        return PopView(pop.call_id, heading, "pending", w["pending"], (), False)
    presented = found.presented or number
    cards = tuple(card_of(c, lang) for c in found.candidates)
    level = found.level
    if level == IdentificationLevel.KNOWN:
        return PopView(pop.call_id, heading, level.value, w["known"], cards, False)
    if level == IdentificationLevel.AMBIGUOUS:
        verdict = w["ambiguous"].format(count=len(cards), presented=presented)
        return PopView(pop.call_id, heading, level.value, verdict, cards, True)
    verdict = w["unknown"].format(presented=presented)
    if level == IdentificationLevel.ANONYMOUS:
        verdict = w["anonymous"]
    return PopView(pop.call_id, heading, level.value, verdict, (), True)


def card_of(summary: CustomerSummary, lang: str, matched: tuple[str, ...] = ()) -> CustomerCard:
    w = POP_WORDS[lang]
    last = summary.last_contact_at
    facts = [
        w["level"].format(level=summary.strategic_level.value),
        w["orders"].format(count=summary.orders_in_progress),
        w["claims"].format(count=summary.open_claims),
        w["last_contact"].format(when=last.strftime("%Y-%m-%d %H:%M")) if last else w["never"],
    ]
    if summary.strategic_reason:
        facts[0] = f"{facts[0]} ({summary.strategic_reason})"
    if summary.language:
        facts.append(w["language"].format(language=summary.language))
    if summary.competence_needed:
        facts.append(w["competence"].format(competence=summary.competence_needed))
    if summary.possible_duplicate:
        facts.append(w["duplicate"])
    if matched:
        facts.append(w["matched"].format(what=", ".join(matched)))
    return CustomerCard(summary.customer_id, summary.name or summary.customer_id, tuple(facts))

"""A timer round's decisions, as values, no I/O: which of the due sessions' rule episodes become
contact requests and which are suppressed, given their state, their surroundings and a time
(`plan_round`); then, given the ledger's answers, what to publish and what each session has
settled (`settle`). The handlers carry the plan out in one step (ledger, publish, record).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from cc_schemas import ContactRequested, CustomerContext
from proactive_engine.config import EngineConfig
from proactive_engine.domain import (
    Suppression,
    Surroundings,
    contact_request,
    subject_of,
    suppression,
)
from proactive_engine.ledger import Answer, Claim, Verdict
from proactive_engine.rules import Decision, Rule, due_decisions
from proactive_engine.session import SessionState


@dataclass(frozen=True)
class Suppressed:
    session_id: str
    decision: Decision
    cause: Suppression


@dataclass(frozen=True)
class Wanted:
    """A decision that may become a request, if the ledger agrees."""

    session_id: str
    decision: Decision
    claim: Claim


@dataclass(frozen=True)
class RoundPlan:
    hits: list[tuple[str, Decision]]  # every due decision, before suppression
    suppressed: list[Suppressed]
    wanted: list[Wanted]

    @property
    def claims(self) -> list[Claim]:
        return [w.claim for w in self.wanted]


def plan_round(
    firing: Sequence[tuple[SessionState, datetime]],
    chatting: Collection[str],
    customers: Mapping[str, CustomerContext | None],
    rules: Sequence[Rule],
    config: EngineConfig,
    stale_before: datetime,
) -> RoundPlan:
    """Every due decision of these sessions, each judged at the event time it fires (its
    deadline), suppressed (opted out, ordered, in a chat, expired, no channel) or wanted as a
    request. Expired: its expiry is before `stale_before` (the wall clock minus the lateness:
    a request too late to help anyone when it would leave). `chatting` holds the session and
    customer ids in an open chat; `customers` the customer each session's request names (as a
    CRM enriched it)."""
    plan = RoundPlan([], [], [])
    for state, now in firing:
        for decision in due_decisions(rules, state, now):
            plan.hits.append((state.session_id, decision))
            in_chat = bool({state.session_id, state.customer_id} & set(chatting))
            surroundings = Surroundings(in_chat)
            cause = suppression(state, decision, surroundings, config.engagement, now, stale_before)
            if cause is not None:
                plan.suppressed.append(Suppressed(state.session_id, decision, cause))
                continue
            customer = customers.get(state.session_id, state.customer)
            request = contact_request(
                state, decision, customer, config.engagement, config.priorities, now
            )
            claim = Claim(request, subject_of(state))
            plan.wanted.append(Wanted(state.session_id, decision, claim))
    return plan


@dataclass
class RoundOutcome:
    """What the round does once the ledger answered: publish, confirm (found on the topic
    already), and per session the episodes settled and when to look again if not now."""

    publish: list[tuple[Wanted, ContactRequested]] = field(default_factory=list)
    confirm: list[str] = field(default_factory=list)
    suppressed: list[Suppressed] = field(default_factory=list)
    settled: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    retry_at: dict[str, datetime] = field(default_factory=dict)

    @property
    def published_ids(self) -> list[str]:
        return [request.request_id for _, request in self.publish] + self.confirm


def settle(plan: RoundPlan, answers: Sequence[Answer], on_topic: Collection[str]) -> RoundOutcome:
    """`answers` are the ledger's, one per wanted request in order; `on_topic` the request ids
    that a crash left unconfirmed and that are on the topic after all (not published again)."""
    outcome = RoundOutcome()
    for suppressed in plan.suppressed:
        _suppress(outcome, suppressed)
    for wanted, given in zip(plan.wanted, answers, strict=True):
        if given.verdict is Verdict.PUBLISH and given.request.request_id in on_topic:
            outcome.confirm.append(given.request.request_id)
            cause = Suppression.ALREADY_PUBLISHED
            _suppress(outcome, Suppressed(wanted.session_id, wanted.decision, cause))
        elif given.verdict is Verdict.PUBLISH:
            outcome.publish.append((wanted, given.request))
            outcome.settled[wanted.session_id].add(wanted.decision.key)
        elif given.verdict is Verdict.BUSY and given.busy_until is not None:
            outcome.retry_at[wanted.session_id] = given.busy_until
        else:
            cause = Suppression(given.verdict.value)  # throttled or already published
            _suppress(outcome, Suppressed(wanted.session_id, wanted.decision, cause))
    return outcome


def _suppress(outcome: RoundOutcome, suppressed: Suppressed) -> None:
    outcome.suppressed.append(suppressed)
    outcome.settled[suppressed.session_id].add(suppressed.decision.key)

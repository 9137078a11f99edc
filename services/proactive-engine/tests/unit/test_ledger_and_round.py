"""A timer round's decisions as values: the ledger's verdicts (throttle, lease, published
already) and what a round publishes, suppresses and settles."""

from datetime import UTC, datetime, timedelta

from cc_schemas import CartItemAdded, ContactRequested, CustomerContext
from proactive_engine.config import load_config
from proactive_engine.domain import Suppression, subject_of
from proactive_engine.firing import plan_round, settle
from proactive_engine.ledger import Answer, Claim, Entry, Verdict, answer
from proactive_engine.rules import build_rules
from proactive_engine.session import SessionState, fold

T0 = datetime(2026, 3, 14, 10, 0, tzinfo=UTC)
CONFIG = load_config()
RULES = build_rules(CONFIG)
LEASE = timedelta(seconds=30)


def cart_session(session_id: str, customer: CustomerContext | None = None) -> SessionState:
    added = CartItemAdded(
        event_id=f"{session_id}-1",
        occurred_at=T0,
        source="shop",
        session_id=session_id,
        product_id="p",
        quantity=1,
        unit_price_cents=2000,
        currency="EUR",
        cart_value_cents=2000,
        customer=customer,
    )
    return fold(SessionState(session_id=session_id), [added])


DUE = T0 + timedelta(minutes=16)  # past the abandoned cart's 15 minutes
ANN = CustomerContext(customer_id="ann", contact_by_email=True)


def claims_of(*states: SessionState) -> list[Claim]:
    plan = plan_round([(s, DUE) for s in states], set(), {}, RULES, CONFIG, DUE)
    return plan.claims


def entry(request: ContactRequested, owner: str, at: datetime, published: bool) -> Entry:
    return Entry(request, owner, at, at if published else None)


def verdicts(answers: list[Answer]) -> list[Verdict]:
    return [a.verdict for a in answers]


def test_a_new_request_is_entered_and_published() -> None:
    (claim,) = claims_of(cart_session("s1"))
    (given,) = answer([claim], {}, {}, "me", DUE, LEASE)
    assert (given.verdict, given.new, given.request) == (Verdict.PUBLISH, True, claim.request)


def test_one_customer_gets_one_request_per_rule_within_the_throttle_period() -> None:
    first, second = claims_of(cart_session("s1", ANN), cart_session("s2", ANN))
    assert first.subject == second.subject == "customer:ann"

    in_one_round = answer([first, second], {}, {}, "me", DUE, LEASE)
    held_before = answer([second], {}, {second.throttle_key: {first.request_id}}, "me", DUE, LEASE)

    assert verdicts(in_one_round) == [Verdict.PUBLISH, Verdict.THROTTLED]
    assert verdicts(held_before) == [Verdict.THROTTLED]


def test_a_request_does_not_throttle_itself() -> None:
    (claim,) = claims_of(cart_session("s1"))
    held = {claim.throttle_key: {claim.request_id}}
    stored = {claim.request_id: entry(claim.request, "me", DUE, published=False)}
    (given,) = answer([claim], stored, held, "me", DUE, LEASE)
    assert given.verdict is Verdict.PUBLISH


def test_a_request_in_the_ledger_is_published_again_only_when_unconfirmed_and_unleased() -> None:
    (claim,) = claims_of(cart_session("s1"))
    earlier = DUE - timedelta(seconds=10)
    cases = {
        "published": entry(claim.request, "other", earlier, published=True),
        "other's lease runs": entry(claim.request, "other", earlier, published=False),
        "other's lease ran out": entry(claim.request, "other", DUE - LEASE, published=False),
        "ours, unconfirmed": entry(claim.request, "me", earlier, published=False),
    }
    found = {
        case: answer([claim], {claim.request_id: stored}, {}, "me", DUE, LEASE)[0]
        for case, stored in cases.items()
    }
    assert {case: a.verdict for case, a in found.items()} == {
        "published": Verdict.ALREADY_PUBLISHED,
        "other's lease runs": Verdict.BUSY,
        "other's lease ran out": Verdict.PUBLISH,
        "ours, unconfirmed": Verdict.PUBLISH,
    }
    assert found["other's lease runs"].busy_until == earlier + LEASE
    assert found["other's lease ran out"].unconfirmed_since == DUE - LEASE
    assert not any(a.new for a in found.values())


def test_a_round_publishes_what_the_ledger_allows_and_settles_every_decided_episode() -> None:
    opted_out = CustomerContext(customer_id="out", proactive_opt_out=True)
    states = [
        cart_session("new"),
        cart_session("chatting"),
        cart_session("opted-out", opted_out),
        cart_session("found-on-topic"),
        cart_session("busy"),
    ]
    plan = plan_round([(s, DUE) for s in states], {"chatting"}, {}, RULES, CONFIG, DUE)
    assert [(s.session_id, s.cause) for s in plan.suppressed] == [
        ("chatting", Suppression.IN_CHAT),
        ("opted-out", Suppression.OPTED_OUT),
    ]
    new, on_topic, busy = plan.claims
    assert new.subject == subject_of(states[0])
    answers = [
        Answer(new, Verdict.PUBLISH, new.request, new=True),
        Answer(on_topic, Verdict.PUBLISH, on_topic.request, unconfirmed_since=T0),
        Answer(busy, Verdict.BUSY, busy.request, busy_until=DUE + LEASE),
    ]

    outcome = settle(plan, answers, on_topic={on_topic.request_id})

    assert [request.session_id for _, request in outcome.publish] == ["new"]
    assert outcome.published_ids == [new.request_id, on_topic.request_id]
    assert sorted(outcome.settled) == ["chatting", "found-on-topic", "new", "opted-out"]
    assert outcome.retry_at == {"busy": DUE + LEASE}
    assert [(s.session_id, s.cause) for s in outcome.suppressed] == [
        ("chatting", Suppression.IN_CHAT),
        ("opted-out", Suppression.OPTED_OUT),
        ("found-on-topic", Suppression.ALREADY_PUBLISHED),
    ]


def test_a_decision_is_judged_at_its_deadline_and_expires_only_on_the_wall_clock() -> None:
    state = cart_session("s1")
    deadline = T0 + timedelta(minutes=15)  # the abandoned cart's, from its last event at T0

    # Fired on time, or hours of event time later by a fast replay: the same request.
    (on_time,) = plan_round([(state, deadline)], set(), {}, RULES, CONFIG, T0).claims
    stale = plan_round([(state, deadline)], set(), {}, RULES, CONFIG, T0 + timedelta(hours=2))

    assert (on_time.request.occurred_at, on_time.request.expires_at) == (
        deadline,
        deadline + timedelta(minutes=60),
    )
    assert [(s.session_id, s.cause) for s in stale.suppressed] == [("s1", Suppression.EXPIRED)]

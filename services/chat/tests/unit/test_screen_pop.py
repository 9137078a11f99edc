"""The screen pop's rules: whose console shows which call, in either order of call events and
crm's identification, never going back; and what the console says of each identification."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cc_schemas import (
    CallAnswered,
    CallEnded,
    Caller,
    CallOffered,
    CallRinging,
    ContactIdentified,
    CustomerSummary,
    IdentificationLevel,
    InteractionChannel,
    StrategicLevel,
)
from cc_testing import free_ports
from chat.console.pop_view import pop_view
from chat.crm_search import CrmSearch, SearchFailed, parameters_of
from chat.screen_pop import Pop, Stage, on_call_event, on_identified, shown_to

T0 = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
GIULIA = "giulia-sub"
LUCA = "luca-sub"


def offered(at: datetime = T0) -> CallOffered:
    return CallOffered(
        event_id="e-offered",
        occurred_at=at,
        source="pbx",
        call_id="C1",
        queue="sales",
        caller=Caller(number_raw="0212345678", e164="+390212345678"),
    )


def ringing(agent: str, at: datetime) -> CallRinging:
    return CallRinging(
        event_id=f"e-ring-{agent}-{at}",
        occurred_at=at,
        source="pbx",
        call_id="C1",
        queue="sales",
        agent=agent,
    )


def answered(agent: str, at: datetime) -> CallAnswered:
    return CallAnswered(
        event_id=f"e-answer-{agent}",
        occurred_at=at,
        source="pbx",
        call_id="C1",
        queue="sales",
        agent=agent,
        wait_seconds=4,
    )


def ended(agent: str, at: datetime) -> CallEnded:
    return CallEnded(
        event_id="e-end",
        occurred_at=at,
        source="pbx",
        call_id="C1",
        queue="sales",
        agent=agent,
        talk_seconds=60,
        wait_seconds=4,
        ended_by="caller",
    )


ANNA = CustomerSummary(
    customer_id="CU-1",
    name="Anna Rossi",
    strategic_level=StrategicLevel.GOLD,
    orders_in_progress=2,
    open_claims=1,
    last_contact_at=T0 - timedelta(days=3),
)
ANNA_BIS = CustomerSummary(customer_id="CU-2", name="Anna Rossi (Milano)")


def identified(level: IdentificationLevel, *candidates: CustomerSummary) -> ContactIdentified:
    return ContactIdentified(
        event_id=f"e-id-{level}",
        occurred_at=T0 + timedelta(seconds=1),
        source="crm",
        contact_id="C1",
        channel=InteractionChannel.PHONE,
        level=level,
        presented="+390212345678",
        candidates=candidates,
    )


def run(*events: object) -> Pop | None:
    pop: Pop | None = None
    for event in events:
        if isinstance(event, ContactIdentified):
            pop = on_identified(pop, event)
        else:
            pop = on_call_event(pop, event)  # type: ignore[arg-type]
    return pop


def test_a_call_answered_by_an_operator_pops_on_their_console_only() -> None:
    pop = run(offered(), ringing(GIULIA, T0 + timedelta(seconds=2)))
    assert pop is not None
    assert pop.stage == Stage.RINGING
    assert shown_to(pop, GIULIA)
    assert not shown_to(pop, LUCA)
    pop = run(offered(), ringing(GIULIA, T0), answered(GIULIA, T0 + timedelta(seconds=5)))
    assert pop is not None
    assert pop.stage == Stage.ANSWERED
    assert pop.caller_number == "+390212345678"
    assert shown_to(pop, GIULIA)


def test_the_pop_leaves_when_the_call_ends() -> None:
    pop = run(answered(GIULIA, T0), ended(GIULIA, T0 + timedelta(minutes=1)))
    assert pop is not None
    assert pop.stage == Stage.ENDED
    assert not shown_to(pop, GIULIA)


def test_a_late_or_repeated_event_does_not_bring_the_pop_back() -> None:
    late_ring = ringing(GIULIA, T0 + timedelta(seconds=1))
    pop = run(
        answered(GIULIA, T0 + timedelta(seconds=5)),
        late_ring,
        ended(GIULIA, T0 + timedelta(seconds=60)),
        late_ring,
    )
    assert pop is not None
    assert pop.stage == Stage.ENDED


def test_a_call_ringing_on_another_phone_later_moves_to_that_operator() -> None:
    pop = run(ringing(GIULIA, T0), ringing(LUCA, T0 + timedelta(seconds=15)))
    assert pop is not None
    assert shown_to(pop, LUCA)
    assert not shown_to(pop, GIULIA)


def test_crm_before_the_call_events_still_pops_with_the_customer() -> None:
    pop = run(
        identified(IdentificationLevel.KNOWN, ANNA),
        offered(),
        answered(GIULIA, T0 + timedelta(seconds=3)),
    )
    assert pop is not None
    assert shown_to(pop, GIULIA)
    assert pop.identification is not None
    assert pop.identification.candidates == (ANNA,)


def test_a_chat_identification_is_no_call_pop() -> None:
    chat = identified(IdentificationLevel.KNOWN, ANNA).model_copy(
        update={"channel": InteractionChannel.CHAT}
    )
    assert on_identified(None, chat) is None


def test_the_console_says_known_ambiguous_unknown_and_waiting() -> None:
    base = run(offered(), answered(GIULIA, T0 + timedelta(seconds=3)))
    assert base is not None
    waiting = pop_view(base, "en")
    assert (waiting.level, waiting.verdict, waiting.searchable) == (
        "pending",
        "Identifying the caller…",
        False,
    )
    assert waiting.heading == "On the phone: call C1 from +390212345678 · queue sales"

    known = pop_view(on_identified(base, identified(IdentificationLevel.KNOWN, ANNA)) or base, "en")
    assert known.level == "known"
    assert not known.searchable
    assert known.customers[0].name == "Anna Rossi"
    assert known.customers[0].facts[:4] == (
        "strategic level gold",
        "orders in progress: 2",
        "open claims and cases: 1",
        "last contact: 2026-11-29 09:00",
    )

    ambiguous = pop_view(
        on_identified(base, identified(IdentificationLevel.AMBIGUOUS, ANNA, ANNA_BIS)) or base, "en"
    )
    assert ambiguous.verdict == "2 customers share +390212345678: which one is calling?"
    assert [c.customer_id for c in ambiguous.customers] == ["CU-1", "CU-2"]
    assert ambiguous.searchable

    unknown = pop_view(on_identified(base, identified(IdentificationLevel.UNKNOWN)) or base, "it")
    assert unknown.verdict == "Nessun cliente conosciuto ha +390212345678."
    assert unknown.searchable
    assert unknown.customers == ()


def test_the_search_box_words_go_to_the_parameter_they_look_like() -> None:
    assert parameters_of("anna@example.it") == {"email": "anna@example.it"}
    assert parameters_of("+39 02 1234 5678") == {"phone": "+39 02 1234 5678"}
    assert parameters_of("ORD-10042") == {"order": "ORD-10042"}
    assert parameters_of(" nicolo rosi ") == {"name": "nicolo rosi"}


AGENTS = st.sampled_from([GIULIA, LUCA])
SECONDS = st.integers(min_value=0, max_value=120)
EVENTS = st.lists(
    st.one_of(
        st.builds(lambda a, s: ringing(a, T0 + timedelta(seconds=s)), AGENTS, SECONDS),
        st.builds(lambda a, s: answered(a, T0 + timedelta(seconds=s)), AGENTS, SECONDS),
        st.builds(lambda a, s: ended(a, T0 + timedelta(seconds=s)), AGENTS, SECONDS),
    ),
    min_size=1,
    max_size=8,
    unique_by=lambda e: e.occurred_at,  # two phones at the same instant: either may show it
)


@given(EVENTS)
def test_a_pop_is_the_last_phone_it_reached_and_a_replay_changes_nothing(events: list) -> None:
    in_order = sorted(events, key=lambda e: e.occurred_at)  # one call's events share a partition
    pop = run(*in_order)
    assert pop is not None
    assert pop.agent == in_order[-1].agent
    assert pop.changed_at is not None
    assert pop.changed_at <= in_order[-1].occurred_at
    assert run(*in_order, *events) == pop  # anything delivered again: the same pop


async def test_a_search_while_crm_is_away_says_so() -> None:
    closed = free_ports(1)[0]  # nothing listens there
    with pytest.raises(SearchFailed, match=r"crm unreachable \(ConnectError\)"):
        await CrmSearch(f"http://127.0.0.1:{closed}", timeout_seconds=2).customers(
            "anna", "Bearer x"
        )

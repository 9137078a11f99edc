"""A chat's rules, pure: messages numbered in the order stored, only the holder writes as the
operator, nothing after the end, one rating after the end; and what each step publishes."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cc_schemas import CHAT_EVENTS, CSAT_RESPONSES, ChatOrigin, ChatParty
from chat import chat_events, conversation
from chat.conversation import ChatRefused, ChatState, MessageRefused, NotYours

T0 = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


def proactive() -> conversation.Chat:
    return conversation.started_proactively("c1", "R-1", "anna", "C-1", "S-1", T0)


def test_a_proactive_chat_starts_joined_and_publishes_started_then_joined() -> None:
    chat = proactive()

    events = chat_events.started(chat, None)

    assert [(topic, e.event_type) for topic, e in events] == [
        (CHAT_EVENTS, "chat.started"),
        (CHAT_EVENTS, "chat.agent_joined"),
    ]
    assert events[0][1].model_dump(include={"origin", "request_id", "customer_id"}) == {
        "origin": ChatOrigin.PROACTIVE,
        "request_id": "R-1",
        "customer_id": "C-1",
    }


def test_a_customer_chat_waits_for_an_operator_and_the_first_to_join_takes_it() -> None:
    chat = conversation.started_by_customer("c2", "S-2", T0)
    with pytest.raises(ChatRefused, match="has no operator yet: join it first"):
        conversation.post(chat, ChatParty.AGENT, "anna", "m1", "hello", T0)

    joined = conversation.join(chat, "anna", T0)

    with pytest.raises(ChatRefused, match="already answered by anna"):
        conversation.join(joined, "marco", T0)
    with pytest.raises(NotYours, match="answered by anna"):
        conversation.post(joined, ChatParty.AGENT, "marco", "m1", "hello", T0)


def test_messages_are_checked_for_text_and_length() -> None:
    assert conversation.check_text("  hi  ", 10) == "hi"
    with pytest.raises(MessageRefused, match="a message needs some text"):
        conversation.check_text(" \n ", 10)
    with pytest.raises(MessageRefused, match="at most 10 characters; this one has 11"):
        conversation.check_text("x" * 11, 10)


def test_a_chat_is_rated_once_after_its_end_and_the_answer_goes_to_csat_responses() -> None:
    chat = conversation.started_by_customer("c3", None, T0)
    with pytest.raises(ChatRefused, match="rated once it has ended"):
        conversation.rate(chat, 5, None, T0)
    ended = conversation.end(chat, ChatParty.CUSTOMER, None, T0)
    with pytest.raises(MessageRefused, match="the score is 1 to 5, not 6"):
        conversation.rate(ended, 6, None, T0)

    rated = conversation.rate(ended, 4, "  quick  ", T0 + timedelta(seconds=5))

    with pytest.raises(ChatRefused, match="already been rated"):
        conversation.rate(rated, 5, None, T0)
    [(topic, event)] = chat_events.rated(rated)
    assert topic == CSAT_RESPONSES
    assert event.model_dump(
        include={"customer_id", "score", "comment", "chat_id", "channel"}, mode="json"
    ) == {
        "customer_id": "anonymous-chat-c3",
        "score": 4,
        "comment": "quick",
        "chat_id": "c3",
        "channel": "chat",
    }


STEPS = st.lists(st.sampled_from(["customer", "agent", "stranger", "end", "rate"]), max_size=30)


@given(STEPS)
def test_any_sequence_numbers_messages_one_by_one_and_stores_nothing_after_the_end(
    steps: list[str],
) -> None:
    chat = proactive()
    numbers: list[int] = []
    for i, step in enumerate(steps):
        now = T0 + timedelta(seconds=i)
        was_open = chat.state is ChatState.OPEN
        try:
            if step == "end":
                chat = conversation.end(chat, ChatParty.AGENT, "anna", now)
            elif step == "rate":
                chat = conversation.rate(chat, 5, None, now)
            else:
                sender = ChatParty.CUSTOMER if step == "customer" else ChatParty.AGENT
                who = {"customer": None, "agent": "anna", "stranger": "marco"}[step]
                chat, message = conversation.post(chat, sender, who, f"m{i}", "hi", now)
                assert was_open
                assert step != "stranger"
                numbers.append(message.seq)
        except (ChatRefused, NotYours):
            assert not was_open or step in ("stranger", "rate")

    assert numbers == list(range(1, len(numbers) + 1))
    assert chat.last_seq == len(numbers)
    assert (chat.csat_score is not None) == (
        "rate" in steps[steps.index("end") :] if "end" in steps else False
    )


def test_an_operator_reads_the_chats_they_hold_or_held_and_a_supervisor_every_chat() -> None:
    chat = proactive()  # held by anna
    conversation.check_reader(chat, "anna", supervisor=False, held_by=frozenset())
    conversation.check_reader(chat, "bruno", supervisor=False, held_by=frozenset({"bruno"}))
    conversation.check_reader(chat, "sara", supervisor=True, held_by=frozenset())
    with pytest.raises(NotYours, match="answered by anna: only the operators who hold or held"):
        conversation.check_reader(chat, "marco", supervisor=False, held_by=frozenset({"bruno"}))
    waiting = conversation.started_by_customer("c9", None, T0)
    with pytest.raises(NotYours, match="has no operator yet: take it to read it"):
        conversation.check_reader(waiting, "marco", supervisor=False, held_by=frozenset())


def test_a_chat_given_back_goes_to_the_chosen_operator_with_transferred_and_an_auto_join() -> None:
    chat = proactive()  # anna's
    later = T0 + timedelta(minutes=3)
    given = conversation.given_back(chat, "marco", later)
    assert (given.operator_id, given.joined_at, given.team) == ("marco", later, None)
    events = [e for _, e in chat_events.given_back(chat, given, later)]
    assert [e.event_type for e in events] == ["chat.transferred", "chat.agent_joined"]
    moved, joined = events
    assert (moved.from_agent, moved.to_agent, moved.actor) == ("anna", "marco", None)  # type: ignore[union-attr]
    assert (joined.agent, joined.via) == ("marco", "auto")  # type: ignore[union-attr]
    with pytest.raises(ChatRefused):
        conversation.given_back(chat, "anna", later)  # already hers
    with pytest.raises(ChatRefused):
        conversation.given_back(conversation.started_by_customer("c9", None, T0), "marco", later)

"""What each chat event changes of its contact, an operator's edit leaving unset fields, and
which caller number may join a customer's phones."""

from datetime import UTC, datetime, timedelta

import pytest

from cc_schemas import (
    ChatAgentJoined,
    ChatEnded,
    ChatMessageSent,
    ChatOrigin,
    ChatParty,
    ChatStarted,
)
from crm.contact_points import Phone
from crm.interactions import (
    InteractionEdit,
    NoNumber,
    caller_number,
    changed_at,
    chat_change,
    recorded,
)

AT = datetime(2026, 3, 14, 9, tzinfo=UTC)
IDS = {"event_id": "e", "occurred_at": AT, "source": "chat", "chat_id": "chat-1"}


def test_a_proactive_chat_is_outbound_and_a_signed_in_customer_is_known() -> None:
    proactive = ChatStarted(**IDS, origin=ChatOrigin.PROACTIVE, request_id="r-1", customer_id="C")
    visitor = ChatStarted(**IDS, origin=ChatOrigin.CUSTOMER)

    assert chat_change(proactive) is not None
    assert chat_change(visitor) is not None
    assert [chat_change(proactive).values, chat_change(visitor).values] == [  # type: ignore[union-attr]
        ("chat-1", "C", "known", "outbound", AT, None),
        ("chat-1", None, "anonymous", "inbound", AT, None),
    ]


def test_only_an_operators_message_can_be_the_first_response() -> None:
    def sent(sender: ChatParty) -> ChatMessageSent:
        return ChatMessageSent(**IDS, message_id="m", sender=sender, text="hi", agent="op")

    changes = [chat_change(sent(p)) for p in (ChatParty.CUSTOMER, ChatParty.AGENT)]

    assert [c.kind if c else None for c in changes] == [None, "first_response"]


def test_joining_and_ending_change_the_contact() -> None:
    joined = chat_change(ChatAgentJoined(**IDS, agent="op-b"))
    ended = chat_change(ChatEnded(**IDS, ended_by=ChatParty.SYSTEM, resolved=None))

    assert [(c.kind, c.values) for c in (joined, ended) if c] == [
        ("agent_joined", ("chat-1", "op-b", AT)),
        ("ended", ("chat-1", AT, None)),
    ]


def test_an_edit_keeps_what_the_operator_did_not_write() -> None:
    row = {"reason": "delivery", "notes": "old", "order_id": "O-1", "product": None}

    after = InteractionEdit(notes="new", product="SKU-1").applied_to(row | {"resolved": None})

    assert after == {
        "reason": "delivery",
        "notes": "new",
        "order_id": "O-1",
        "product": "SKU-1",
        "resolved": None,
    }


def _row(**moments: datetime | None) -> dict[str, object]:
    row: dict[str, object] = dict.fromkeys(
        [
            "customer_id",
            "case_id",
            "agent",
            "first_response_at",
            "ended_at",
            "resolved",
            "level",
            "queue",
            "wait_seconds",
            "talk_seconds",
            "outcome",
            "reason",
            "notes",
            "order_id",
            "product",
            "linked_by",
            "linked_at",
            "linked_from_level",
            "answered_at",
            "updated_at",
        ]
    )
    return row | {
        "contact_id": "call-1",
        "channel": "phone",
        "direction": "inbound",
        "version": 3,
        "started_at": AT,
        **moments,
    }


def test_a_later_version_never_has_an_earlier_event_time() -> None:
    edited_at = AT + timedelta(minutes=2)
    # the operator wrote notes at minute 2; the call's end (minute 1, reported late) follows
    ended = _row(updated_at=edited_at, ended_at=AT + timedelta(minutes=1))

    assert recorded(ended).occurred_at == edited_at
    assert recorded(_row(), AT - timedelta(hours=1)).occurred_at == AT
    assert changed_at(_row(answered_at=AT + timedelta(seconds=30))) == AT + timedelta(seconds=30)


def contact(channel: str, presented: str | None) -> dict[str, object]:
    return {"contact_id": "c-1", "channel": channel, "presented": presented}


def test_only_a_calls_valid_number_can_join_a_customers_phones() -> None:
    assert caller_number(contact("phone", "+39 333 000 0000"), "IT") == Phone(
        "+393330000000", "3330000000"
    )
    assert caller_number(contact("phone", "0212345678"), "IT").e164 == "+390212345678"
    refusals = []
    for channel, presented in [("chat", "anna@example.it"), ("phone", None), ("phone", "12345")]:
        with pytest.raises(NoNumber) as refused:
            caller_number(contact(channel, presented), "IT")
        refusals.append(str(refused.value))
    assert refusals == [
        "interaction c-1 has no caller number to add",
        "interaction c-1 has no caller number to add",
        "the caller's number cannot be added: phone '12345' is not a valid number "
        "(default region IT)",
    ]

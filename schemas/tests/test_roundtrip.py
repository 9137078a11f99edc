"""Every event type survives model -> JSON -> parse(topic) unchanged, and has its key."""

from datetime import UTC, date, datetime, timedelta

import pytest

import cc_schemas as s

AT = datetime(2025, 3, 14, 9, 26, 53, tzinfo=UTC)
ENV = {"event_id": "evt-1", "occurred_at": AT, "source": "test"}
CUSTOMER = s.CustomerContext(customer_id="C-42", segment="regular", contact_by_chat=True)
CALLER = s.Caller(number_raw="004930123456", e164="+4930123456")
CALL = {**ENV, "call_id": "1710408413.4211", "queue": "support"}
SESSION = {**ENV, "session_id": "sess-9", "customer": CUSTOMER}
ORDER = {**ENV, "order_id": "O-1001", "customer_id": "C-42"}
COMMAND = {**ENV, "order_id": "O-1001", "requested_by": "op-7", "reason": "customer called"}
ITEM = {"product_id": "P-7", "name": "Wooden train", "quantity": 1, "unit_price_cents": 3990}
CART = {**SESSION, **ITEM, "currency": "EUR", "cart_value_cents": 3990}

EXAMPLES: list[s.Event] = [
    s.CallOffered(**CALL, caller=CALLER, called_number="0800123", position=2),
    s.CallRinging(**CALL, agent="PJSIP/1001"),
    s.CallRingNoAnswer(**CALL, agent="PJSIP/1001", ring_seconds=15.0),
    s.CallAnswered(**CALL, agent="PJSIP/1001", wait_seconds=42.0, ring_seconds=3.5),
    s.CallTransferred(
        **CALL, kind=s.TransferKind.BLIND, target_extension="2000", wait_seconds=42, talk_seconds=60
    ),
    s.CallEnded(
        **CALL, agent="PJSIP/1001", wait_seconds=42, talk_seconds=300, ended_by=s.EndedBy.CALLER
    ),
    s.CallAbandoned(**CALL, wait_seconds=12.5, position=1, original_position=3),
    s.CallExited(**CALL, reason=s.ExitReason.KEY, key="0", wait_seconds=90, position=1),
    s.CallOutboundDialled(**CALL, agent="1127", interface="Agent/1127", dialled=CALLER),
    s.CallOutboundAnswered(**CALL, agent="1127", dialled=CALLER, ring_seconds=8.0),
    s.CallOutboundEnded(
        **CALL,
        agent="1127",
        outcome=s.OutboundOutcome.COMPLETED,
        connected=True,
        dialled=CALLER,
        talk_seconds=95.0,
    ),
    s.AgentLoggedIn(**ENV, agent_id="PJSIP/1001", interface="PJSIP/1001"),
    s.AgentLoggedOut(**ENV, agent_id="PJSIP/1001", session_seconds=28800),
    s.AgentPaused(**ENV, agent_id="PJSIP/1001", queue="support", reason="lunch"),
    s.AgentUnpaused(**ENV, agent_id="PJSIP/1001"),
    s.PageViewed(**SESSION, page_type=s.PageType.FAQ, url="https://shop.example/faq"),
    s.ProductViewed(
        **SESSION, product_id="P-7", name="Wooden train", price_cents=3990, currency="EUR"
    ),
    s.FaqSearched(**SESSION, query="battery replacement", results_count=0),
    s.FaqArticleViewed(**SESSION, article_id="A-3", title="Batteries"),
    s.FaqArticleRated(**SESSION, article_id="A-3", helpful=False),
    s.OrderStatusChecked(**SESSION, order_id="O-1001"),
    s.CartItemAdded(**CART),
    s.CartItemRemoved(**{**CART, "cart_value_cents": 0}),
    s.CheckoutStarted(**SESSION, cart_value_cents=3990, currency="EUR"),
    s.CheckoutFailed(**SESSION, reason=s.CheckoutFailureReason.PAYMENT_DECLINED, detail="3DS"),
    s.CheckoutOrderPlaced(**SESSION, order_id="O-1001", total_cents=3990, currency="EUR"),
    s.OrderPlaced(**ORDER, total_cents=3990, currency="EUR", items=(s.OrderItem(**ITEM),)),
    s.OrderModified(**ORDER, change="delivery address changed"),
    s.OrderCancelled(**ORDER, reason="changed mind"),
    s.OrderShipped(**ORDER, carrier="DHL", tracking_number="JJD000390007"),
    s.OrderDelayed(**ORDER, expected_delivery=date(2025, 3, 20)),
    s.OrderHeldAtCarrier(**ORDER, carrier="DHL", reason="address not found"),
    s.OrderDelivered(**ORDER, carrier="DHL"),
    s.OrderReturned(**ORDER, reason="damaged in transit"),
    s.OrderCancelRequested(**COMMAND),
    s.OrderModificationRequested(**COMMAND, modification="ship to Hauptstr. 5"),
    s.OrderReturnRequested(**COMMAND),
    s.OrderReplacementRequested(**COMMAND, product_id="TRN-2040", ticket_id="T-1000"),
    s.SparePartRequested(**COMMAND, part="TRN-2040-WHEEL", product_id="TRN-2040"),
    s.OrderAddressChangeRequested(
        **COMMAND,
        address=s.Address(line1="Via Torino 5", postcode="20123", city="Milano", country="IT"),
    ),
    s.CarrierHoldReleaseRequested(**COMMAND, carrier="DHL", instructions="customs paid"),
    s.ReturnToSenderAuthorised(**COMMAND, carrier="DHL"),
    s.ContactRequested(
        **ENV,
        request_id="req-1",
        session_id="sess-9",
        customer=CUSTOMER,
        rule="abandoned_cart",
        priority=s.ContactPriority.HIGH,
        channel=s.ContactChannel.CHAT,
        context=s.ContactContext(product_ids=("P-7",), cart_value_cents=3990, currency="EUR"),
        expires_at=AT + timedelta(minutes=15),
    ),
    s.ContactAccepted(**ENV, request_id="req-1", operator_id="op-7"),
    s.ContactDeclined(**ENV, request_id="req-1", declined_by=s.DeclinedBy.CUSTOMER),
    s.ContactExpired(**ENV, request_id="req-1"),
    s.ContactConverted(**ENV, request_id="req-1", order_id="O-1001"),
    s.TicketOpened(
        **ENV,
        ticket_id="T-1",
        customer_id="C-42",
        channel=s.TicketChannel.PHONE,
        cluster=s.ClaimCluster.SPARE_PARTS,
        subject="Wheel missing",
        opened_by="op-7",
        team=s.Team.CONTACT_CENTRE,
    ),
    s.TicketAssigned(
        **ENV, ticket_id="T-1", assignee="mk-2", team=s.Team.MARKETING, assigned_by="op-7"
    ),
    s.TicketClosed(
        **ENV,
        ticket_id="T-1",
        resolution=s.Resolution.RESOLVED,
        outcome=s.ClaimOutcome.SPARE_PART_SENT,
        closed_by="op-7",
    ),
    s.TicketStateChanged(
        **ENV,
        ticket_id="T-1",
        from_state=s.TicketState.OPEN,
        to_state=s.TicketState.PENDING_CUSTOMER,
        changed_by="op-7",
        reason="photo of the damage asked",
    ),
    s.TicketMerged(**ENV, ticket_id="T-1", into_ticket_id="T-2", merged_by="sup-1"),
    s.CustomerNotificationRequested(
        **ENV,
        notification_id="n-1",
        customer_id="C-42",
        kind=s.NotificationKind.WAITING_FOR_YOU,
        ticket_id="T-1",
        message="Can you send a photo of the broken wheel?",
        link="https://shop.example/claim?token=abc",
        link_expires_at=datetime(2027, 1, 1, tzinfo=UTC),
    ),
    s.SlaWarning(
        **ENV,
        ticket_id="T-1",
        target=s.SlaTarget.SOLUTION,
        due_at=datetime(2026, 3, 27, 16, tzinfo=UTC),
        policy="default",
        cluster="return",
        priority=s.TicketPriority.NORMAL,
        team=s.Team.CONTACT_CENTRE,
        assignee="op-7",
    ),
    s.SlaBreached(
        **ENV,
        ticket_id="T-1",
        target=s.SlaTarget.FIRST_RESPONSE,
        due_at=datetime(2026, 3, 23, 11, tzinfo=UTC),
        policy="urgent",
        cluster="delivery",
        priority=s.TicketPriority.URGENT,
    ),
    s.InteractionRecorded(
        **ENV,
        interaction_id="I-1",
        customer_id="C-42",
        channel=s.InteractionChannel.CHAT,
        direction=s.Direction.INBOUND,
        started_at=AT,
        first_response_at=AT + timedelta(seconds=40),
        ended_at=AT + timedelta(minutes=6),
        resolved=True,
    ),
    s.ChatStarted(**ENV, chat_id="chat-1", origin=s.ChatOrigin.PROACTIVE, request_id="req-1"),
    s.ChatAgentJoined(**ENV, chat_id="chat-1", agent="op-7"),
    s.ChatMessageSent(
        **ENV, chat_id="chat-1", message_id="m-1", sender=s.ChatParty.AGENT, text="Hello!"
    ),
    s.ChatEnded(**ENV, chat_id="chat-1", ended_by=s.ChatParty.CUSTOMER, resolved=True),
    s.ChatAgentJoined(**ENV, chat_id="chat-1", agent="op-8", via=s.ChatAssignment.TRANSFER),
    s.ChatTransferred(**ENV, chat_id="chat-1", from_agent="op-7", to_agent="op-8"),
    s.ChatTransferred(**ENV, chat_id="chat-1", from_agent="op-7", to_team="Returns"),
    s.CsatSubmitted(
        **ENV, response_id="R-1", customer_id="C-42", score=5, channel=s.InteractionChannel.CHAT
    ),
    s.CustomerRegistered(
        **ENV,
        customer_id="C-42",
        first_name="Anna",
        last_name="Rossi",
        phones=("+39 02 1234 5678", "347 123 4567"),
        emails=("Anna.Rossi@Example.IT",),
        social_handles=(s.SocialHandle(network="instagram", handle="@anna.toys"),),
        addresses=(s.Address(line1="Via Roma 12", postcode="20121", city="Milano", country="IT"),),
        language="it",
        consents=(s.Consent(purpose="newsletter", granted=True, at=AT),),
        opt_outs=("phone",),
        loyalty_tier=s.LoyaltyTier.GOLD,
    ),
    s.CustomerUpdated(**ENV, customer_id="C-42", emails=("anna@example.it",)),
    s.CustomerErased(**ENV, customer_id="C-42", reason="customer's request"),
    s.ContactIdentified(
        **ENV,
        contact_id="1710408413.4211",
        channel=s.InteractionChannel.PHONE,
        level=s.IdentificationLevel.KNOWN,
        matched_by=s.MatchedBy.E164,
        presented="+390212345678",
        customer_id="C-42",
        candidates=(
            s.CustomerSummary(
                customer_id="C-42",
                name="Anna Rossi",
                strategic_level=s.StrategicLevel.GOLD,
                strategic_reason="gold: 14 orders, EUR 1,240 in 12 months",
                competence_needed="product-specialist",
                last_contact_at=AT,
            ),
        ),
        strategic_level=s.StrategicLevel.GOLD,
        competence_needed="product-specialist",
    ),
    s.CaseOpened(
        **ENV,
        case_id="K-1",
        customer_id="C-42",
        title="Trenino arrivato rotto",
        reason="damaged",
        order_id="O-1001",
        product="SKU-TRAIN-7",
        language="it",
        opened_by_interaction="1710408413.4211",
    ),
    s.CaseContactLinked(
        **ENV,
        case_id="K-1",
        contact=s.CaseContact(
            interaction_id="chat-1", channel=s.InteractionChannel.CHAT, started_at=AT
        ),
        how=s.CaseLinkKind.PROPOSED,
        contacts=2,
    ),
    s.CaseMerged(**ENV, case_id="K-1", into_case_id="K-2", contacts_moved=1),
    s.CaseSplit(**ENV, case_id="K-1", from_case_id="K-3", interaction_ids=("chat-1",)),
    s.CaseRelated(**ENV, case_id="K-1", related_case_id="K-3"),
    s.CaseResolved(
        **ENV,
        case_id="K-1",
        customer_id="C-42",
        outcome=s.CaseOutcome.RESOLVED,
        close_reason="solved",
        problem="Il trenino è arrivato con una ruota rotta",
        resolution="Spedito un ricambio della ruota",
        language="it",
        opened_at=AT,
        contacts=(
            s.CaseContact(
                interaction_id="1710408413.4211",
                channel=s.InteractionChannel.PHONE,
                started_at=AT,
            ),
        ),
    ),
    s.CaseReopened(**ENV, case_id="K-1", customer_id="C-42"),
]
EXPECTED_KEYS = {
    s.CALL_EVENTS: "1710408413.4211",
    s.AGENT_EVENTS: "PJSIP/1001",
    s.BROWSE_EVENTS: "sess-9",
    s.CART_EVENTS: "sess-9",
    s.ORDER_EVENTS: "O-1001",
    s.ORDER_COMMANDS: "O-1001",
    s.CONTACT_REQUESTS: "req-1",
    s.CONTACT_OUTCOMES: "req-1",
    s.TICKET_OPENED: "T-1",
    s.TICKET_ASSIGNED: "T-1",
    s.TICKET_CLOSED: "T-1",
    s.TICKET_CHANGES: "T-1",
    s.TICKET_SLA: "T-1",
    s.CUSTOMER_NOTIFICATIONS: "C-42",
    s.INTERACTIONS: "C-42",
    s.CHAT_EVENTS: "chat-1",
    s.CSAT_RESPONSES: "C-42",
    s.CUSTOMER_EVENTS: "C-42",
    s.CONTACT_IDENTIFICATIONS: "1710408413.4211",
    s.CASES: "K-1",
}


def _id(event: s.Event) -> str:
    return f"{s.topic_of(event)}:{event.event_type}"


def test_every_registered_event_type_has_an_example() -> None:
    registered = {cls for spec in s.TOPICS.values() for cls in spec.events}
    assert {type(e) for e in EXAMPLES} == registered


def test_every_topic_has_an_expected_key() -> None:
    assert set(EXPECTED_KEYS) == set(s.TOPICS)


@pytest.mark.parametrize("event", EXAMPLES, ids=_id)
def test_an_event_survives_the_round_trip_through_json(event: s.Event) -> None:
    parsed = s.parse(s.topic_of(event), s.encode(event))

    assert parsed == event
    assert type(parsed) is type(event)


@pytest.mark.parametrize("event", EXAMPLES, ids=_id)
def test_a_topics_parser_reads_what_parse_reads(event: s.Event) -> None:
    topic = s.topic_of(event)

    parsed = s.parser(topic)(s.encode(event))

    assert parsed == event
    assert type(parsed) is type(event)


@pytest.mark.parametrize("event", EXAMPLES, ids=_id)
def test_the_key_is_the_aggregate_id_of_the_topic(event: s.Event) -> None:
    assert s.key_of(event) == EXPECTED_KEYS[s.topic_of(event)]


@pytest.mark.parametrize("event", EXAMPLES, ids=_id)
def test_an_event_type_is_set_without_the_producer_naming_it(event: s.Event) -> None:
    assert event.event_type == s.event_type_of(type(event))
    assert event.schema_version == 1

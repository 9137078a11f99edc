"""Webhook events are made like queue_log's and AMI's: numbers normalised with the same
function and region (whatever the middleware claimed), agents named by their identity."""

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

import cc_schemas as s
from telephony_ingest.agent_identity import AgentIdentities
from telephony_ingest.phone import normalise_caller
from telephony_ingest.webhook import WebhookEvents

AT = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
ENVELOPE: dict[str, Any] = {"event_id": "e-1", "occurred_at": AT, "source": "pbx-webhook"}
WEBHOOK = WebhookEvents("IT", AgentIdentities({"SIP/mario-desk": "1127"}))


def offered(caller: s.Caller) -> s.CallOffered:
    return s.CallOffered(**ENVELOPE, call_id="1.1", queue="sales", caller=caller)


@pytest.mark.parametrize(
    ("sent", "published"),
    [
        (
            s.Caller(number_raw="+39 02 1234 5678"),
            s.Caller(number_raw="+39 02 1234 5678", e164="+390212345678"),
        ),
        (
            s.Caller(number_raw="anonymous", e164="+390212345678"),
            s.Caller(number_raw="anonymous", withheld=True),
        ),
        (
            s.Caller(number_raw="0212345678", e164="+4930123456", invalid=True),
            s.Caller(number_raw="0212345678", e164="+390212345678"),
        ),
        (s.Caller(number_raw="12", withheld=True), s.Caller(number_raw="12", invalid=True)),
        (
            s.Caller(number_raw="", e164="+390212345678"),
            s.Caller(number_raw="+390212345678", e164="+390212345678"),
        ),
        (
            s.Caller(number_raw="", name="Mario"),
            s.Caller(number_raw="", name="Mario", withheld=True),
        ),
    ],
)
def test_a_callers_number_is_normalised_whatever_the_middleware_claimed(
    sent: s.Caller, published: s.Caller
) -> None:
    assert WEBHOOK.normalised(offered(sent)).caller == published


PHONE_LIKE = st.text(alphabet="+0123456789 ()-./", max_size=20)
WORDS = st.sampled_from(["anonymous", "Unknown", "RESTRICTED", "private", "<unknown>", ""])


@given(
    raw=st.one_of(PHONE_LIKE, WORDS, st.text(max_size=20)),
    claimed=st.one_of(st.none(), st.from_regex(r"\+[1-9][0-9]{1,14}", fullmatch=True)),
    withheld=st.booleans(),
    invalid=st.booleans(),
)
def test_a_webhook_caller_is_whatever_queue_log_and_ami_make_of_its_number(
    raw: str, claimed: str | None, withheld: bool, invalid: bool
) -> None:
    sent = s.Caller(number_raw=raw, e164=claimed, withheld=withheld, invalid=invalid)

    published = WEBHOOK.normalised(offered(sent)).caller

    expected_raw = raw if raw.strip() else (claimed or "")
    assert published == normalise_caller(expected_raw, "IT")


def test_the_number_an_outbound_call_dialled_is_normalised_too() -> None:
    dialled = s.CallOutboundDialled(
        **ENVELOPE, call_id="1.2", agent="PJSIP/1127", dialled=s.Caller(number_raw="02 1234 5678")
    )

    published = WEBHOOK.normalised(dialled)

    assert published.dialled.e164 == "+390212345678"
    assert (published.agent, published.interface) == ("1127", "PJSIP/1127")


@pytest.mark.parametrize(
    ("sent", "interface", "agent", "published_interface"),
    [
        ("PJSIP/1002", None, "1002", "PJSIP/1002"),
        ("Local/1127@callback-agent", None, "1127", "Local/1127@callback-agent"),
        ("PJSIP/1127-0000002a", "PJSIP/1127", "1127", "PJSIP/1127"),
        ("SIP/mario-desk", None, "1127", "SIP/mario-desk"),
        ("Mario Rossi", None, "Mario Rossi", "Mario Rossi"),
    ],
)
def test_a_call_events_agent_is_named_by_identity_and_its_interface_kept(
    sent: str, interface: str | None, agent: str, published_interface: str
) -> None:
    answered = s.CallAnswered(
        **ENVELOPE, call_id="1.3", agent=sent, interface=interface, wait_seconds=27
    )

    published = WEBHOOK.normalised(answered)

    assert (published.agent, published.interface) == (agent, published_interface)


def test_an_agent_events_agent_id_is_its_identity_with_the_interface_as_sent() -> None:
    paused = s.AgentPaused(**ENVELOPE, agent_id="Agent/1127", reason="lunch")

    published = WEBHOOK.normalised(paused)

    assert (published.agent_id, published.interface, published.reason) == (
        "1127",
        "Agent/1127",
        "lunch",
    )


def test_an_event_without_numbers_or_agents_is_published_as_sent() -> None:
    abandoned = s.CallAbandoned(
        **ENVELOPE, call_id="1.4", queue="sales", wait_seconds=3, position=1
    )

    assert WEBHOOK.normalised(abandoned) is abandoned


def test_an_agent_name_that_maps_to_nothing_is_refused() -> None:
    with pytest.raises(ValidationError, match="agent_id"):
        WEBHOOK.normalised(s.AgentLoggedIn(**ENVELOPE, agent_id="   "))

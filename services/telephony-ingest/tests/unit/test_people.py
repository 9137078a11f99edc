"""One identity per person: an event's PBX agent is named by the sign-in subject of the person
whose identity holds that extension or PBX agent id, the PBX identity kept in `pbx_agent`."""

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import cc_schemas as s
from telephony_ingest.agent_identity import AgentIdentities
from telephony_ingest.directory import StaticDirectory, parse_people
from telephony_ingest.people import People, Person, named_by_person
from telephony_ingest.webhook import WebhookEvents

AT = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
ENVELOPE: dict[str, Any] = {"event_id": "e-1", "occurred_at": AT, "source": "asterisk-queue-log"}
GIULIA = Person("sub-giulia", extension="1127", pbx_agent_ids=("PJSIP/1127", "Agent/1127"))
LUCA = Person("sub-luca", pbx_agent_ids=("Agent/4455", "Luca Bianchi"))
PEOPLE = People.of([GIULIA, LUCA], AgentIdentities())


def answered(agent: str) -> s.CallAnswered:
    return s.CallAnswered(
        **ENVELOPE,
        call_id="1.1",
        queue="sales",
        agent=agent,
        interface=f"Local/{agent}@agents",
        wait_seconds=12,
    )


def test_an_answered_call_names_the_person_and_keeps_the_pbx_agent() -> None:
    event = named_by_person(answered("1127"), PEOPLE)

    assert (event.agent, event.pbx_agent, event.interface) == (
        "sub-giulia",
        "1127",
        "Local/1127@agents",
    )


def test_an_agent_event_is_keyed_by_the_person() -> None:
    paused = s.AgentPaused(**ENVELOPE, agent_id="4455", interface="Agent/4455", reason="lunch")

    event = named_by_person(paused, PEOPLE)

    assert (event.agent_id, event.pbx_agent, s.key_of(event)) == ("sub-luca", "4455", "sub-luca")


def test_an_agent_no_person_claims_keeps_the_pbx_identity() -> None:
    event = named_by_person(answered("2001"), PEOPLE)

    assert (event.agent, event.pbx_agent) == ("2001", None)


def test_an_event_naming_no_agent_is_left_as_it_is() -> None:
    offered = s.CallOffered(
        **ENVELOPE, call_id="1.1", queue="sales", caller=s.Caller(number_raw="0212345678")
    )

    assert named_by_person(offered, PEOPLE) is offered


def test_an_event_named_once_is_not_named_again() -> None:
    once = named_by_person(answered("1127"), PEOPLE)
    other = People.of([Person("sub-other", extension="sub-giulia")], AgentIdentities())

    assert named_by_person(once, other) == once


def test_attributes_are_read_through_the_interface_step_and_the_aliases() -> None:
    identities = AgentIdentities({"SIP/mario-desk": "1127"})
    people = People.of([Person("sub-mario", pbx_agent_ids=("SIP/mario-desk",))], identities)

    assert people.by_agent == {"1127": "sub-mario"}
    assert PEOPLE.by_agent == {"1127": "sub-giulia", "4455": "sub-luca", "Luca Bianchi": "sub-luca"}


def test_a_pbx_agent_two_people_claim_is_nobodys() -> None:
    people = People.of(
        [GIULIA, Person("sub-twin", extension="1127"), Person("sub-ada", extension="1200")],
        AgentIdentities(),
    )

    assert people.subject_of("1127") is None
    assert dict(people.conflicts) == {"1127": frozenset({"sub-giulia", "sub-twin"})}
    assert people.subject_of("1200") == "sub-ada"


def test_the_webhooks_answer_names_the_person(tmp_path: Path) -> None:
    path = tmp_path / "people.json"
    path.write_text('[{"subject": "sub-giulia", "username": "giulia", "extension": "1127"}]')
    webhook = WebhookEvents("IT", AgentIdentities(), StaticDirectory(path, AgentIdentities()))
    login = s.AgentLoggedIn(**{**ENVELOPE, "source": "pbx-webhook"}, agent_id="PJSIP/1127")

    event = webhook.normalised(login)

    assert (event.agent_id, event.pbx_agent, event.interface) == (
        "sub-giulia",
        "1127",
        "PJSIP/1127",
    )


@pytest.mark.parametrize(
    "text",
    [
        "{}",
        '[{"extension": "1127"}]',
        '[{"subject": "", "extension": "1127"}]',
        '[{"subject": "a\\u0000b"}]',
        '[{"subject": "x", "team": "sales"}]',
        "[{",
    ],
)
def test_a_static_file_that_is_not_a_list_of_people_is_refused_with_its_path(
    tmp_path: Path, text: str
) -> None:
    path = tmp_path / "people.json"
    path.write_text(text)

    with pytest.raises(ValueError, match=r"people file .*people\.json"):
        StaticDirectory(path, AgentIdentities())


@given(st.binary(max_size=200))
def test_any_file_is_read_as_people_or_refused_with_a_value_error(content: bytes) -> None:
    try:
        people = parse_people(content, "people.json", AgentIdentities())
    except ValueError as error:
        assert str(error).startswith("people file people.json: ")  # noqa: PT017
        return
    assert all(isinstance(subject, str) for subject in people.by_agent.values())


@given(
    st.lists(
        st.builds(
            Person,
            subject=st.sampled_from(["a", "b", "c"]),
            extension=st.none() | st.sampled_from(["1127", "1128", " "]),
            pbx_agent_ids=st.lists(st.sampled_from(["Agent/1127", "PJSIP/1128", "SIP/x"])).map(
                tuple
            ),
        ),
        max_size=6,
    )
)
def test_every_claimed_agent_is_resolved_or_a_conflict_never_both(people: list[Person]) -> None:
    mapped = People.of(people, AgentIdentities())

    claimed = {
        AgentIdentities().identity(n)
        for p in people
        for n in (p.extension, *p.pbx_agent_ids)
        if n and n.strip()
    }
    assert set(mapped.by_agent) | set(mapped.conflicts) == claimed
    assert not set(mapped.by_agent) & set(mapped.conflicts)

"""One person, one agent identity, whatever interface the PBX names them by."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from telephony_ingest.agent_identity import AgentIdentities


@pytest.mark.parametrize(
    ("logged", "identity"),
    [
        ("Local/1127@callback-agent", "1127"),
        ("Local/1127@callback-agent/n", "1127"),
        ("Agent/1127", "1127"),
        ("SIP/1127", "1127"),
        ("PJSIP/1127", "1127"),
        ("pjsip/1127", "1127"),
        ("PJSIP/1127-0000002a", "1127"),
        ("Local/1127@from-queue;1", "1127"),
        ("SIP/office-1", "office-1"),
        ("Mario Rossi", "Mario Rossi"),
        ("  Agent/1127 ", "1127"),
        ("Custom:1127", "Custom:1127"),
    ],
)
def test_an_interface_names_the_agent_by_its_extension(logged: str, identity: str) -> None:
    assert AgentIdentities().identity(logged) == identity


def test_aliases_map_a_named_device_and_an_extension_to_the_agent() -> None:
    identities = AgentIdentities({"SIP/mario-desk": "1127", "2127": "1127"})

    assert identities.identity("sip/Mario-Desk") == "1127"
    assert identities.identity("PJSIP/2127") == "1127"
    assert identities.identity("Agent/1127") == "1127"


@given(st.text(min_size=1, max_size=40))
def test_an_identity_is_part_of_the_name_and_maps_to_itself(name: str) -> None:
    identities = AgentIdentities()
    identity = identities.identity(name)

    assert identity in name
    assert identities.identity(identity) == identity

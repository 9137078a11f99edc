"""Webhook events made like queue_log's and AMI's before they are published. Pure: no I/O.

The PBX middleware sends events in the contract's shape, but its numbers and agent names are its
own: caller numbers are normalised here exactly as the other sources' are (`phone`, the
configured region: E.164, withheld, invalid; whatever `e164` the middleware claimed is
recomputed from `number_raw`), and agent names are mapped to the agent's identity
(`agent_identity`), the name as sent kept in `interface` unless the middleware gave one, then
to the person whose PBX agent it is (`people`), the PBX identity kept in `pbx_agent`.
"""

from typing import Any, TypeVar

from cc_schemas import Caller, Event
from telephony_ingest.agent_identity import AgentIdentities
from telephony_ingest.directory import NoDirectory, PeopleDirectory
from telephony_ingest.people import named_by_person
from telephony_ingest.phone import normalise_caller

E = TypeVar("E", bound=Event)
AGENT_FIELDS = ("agent", "agent_id")  # call events name the agent `agent`, agent events `agent_id`


class WebhookEvents:
    def __init__(
        self, region: str, identities: AgentIdentities, directory: PeopleDirectory | None = None
    ) -> None:
        self.region = region
        self.identities = identities
        self.directory = directory or NoDirectory()

    def normalised(self, event: E) -> E:
        """The event with its numbers normalised and its agent named by identity; validated
        again (raises pydantic's ValidationError), since a mapped name must still be valid."""
        changes: dict[str, Any] = {}
        for name, value in event:
            if isinstance(value, Caller):
                changes[name] = self.caller(value)
        for name in AGENT_FIELDS:
            given = getattr(event, name, None)
            if isinstance(given, str):
                changes[name] = self.identities.identity(given)
                if "interface" in type(event).model_fields:
                    changes["interface"] = getattr(event, "interface", None) or given
        if changes:
            event = type(event).model_validate({**dict(event), **changes})
        # The person, so that the answer names whom the event will name.
        return named_by_person(event, self.directory.people())

    def caller(self, caller: Caller) -> Caller:
        # A middleware that sends only the E.164 form still has its number read.
        raw = caller.number_raw if caller.number_raw.strip() else (caller.e164 or "")
        return normalise_caller(raw, self.region, caller.name)

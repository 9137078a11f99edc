"""One identity per person: the PBX agent an event names, put on it as the person's sign-in
subject. Pure: no I/O (the directories that fill `People` are in `directory.py`).

After `agent_identity` has made one PBX identity of the interfaces an agent is logged under
(`Local/1127@agents`, `Agent/1127` -> `1127`), `People` says whose it is: the person whose
identity names it in its `extension` or `pbx_agent_ids` attribute. The event then carries the
subject in `agent` (`agent_id` on agent events) and the PBX identity in `pbx_agent`, so a call
on extension 1127 and a chat by that operator are the same person in every report. An agent no
person claims keeps its PBX identity in `agent`. Two people claiming one PBX identity is a
mistake in the directory: neither gets it (the agent stays the PBX identity) rather than one
chosen at random, and `conflicts` names it so it can be logged.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from cc_schemas import Event
from telephony_ingest.agent_identity import AgentIdentities

E = TypeVar("E", bound=Event)
# Call events name the agent `agent`, agent events `agent_id`; both keep the PBX's in `pbx_agent`.
AGENT_FIELDS = ("agent", "agent_id")


@dataclass(frozen=True)
class Person:
    """A signed-in person's PBX attributes, as their identity holds them."""

    subject: str
    extension: str | None = None
    pbx_agent_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class People:
    """PBX identity -> the subject of the person it belongs to."""

    by_agent: Mapping[str, str] = field(default_factory=dict)
    conflicts: Mapping[str, frozenset[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, people: Iterable[Person], identities: AgentIdentities) -> "People":
        """Each person's extension and PBX agent ids, read through the same interface step as
        the events' agents (`PJSIP/1127` in an attribute is agent `1127`)."""
        claims: dict[str, set[str]] = {}
        for person in people:
            names = (person.extension, *person.pbx_agent_ids)
            for agent in {identities.identity(n) for n in names if n and n.strip()}:
                claims.setdefault(agent, set()).add(person.subject)
        return cls(
            by_agent={a: next(iter(s)) for a, s in claims.items() if len(s) == 1},
            conflicts={a: frozenset(s) for a, s in claims.items() if len(s) > 1},
        )

    def subject_of(self, pbx_agent: str) -> str | None:
        return self.by_agent.get(pbx_agent)


NOBODY = People()


def named_by_person(event: E, people: People) -> E:
    """The event with its agent named by the person's subject and the PBX identity kept in
    `pbx_agent`; unchanged when it names no agent, no person has that agent, or it already
    carries a `pbx_agent` (named before: the webhook's answer and its publication)."""
    if not people.by_agent or getattr(event, "pbx_agent", "set") is not None:
        return event
    changes: dict[str, Any] = {}
    for name in AGENT_FIELDS:
        pbx_agent = getattr(event, name, None)
        subject = people.subject_of(pbx_agent) if isinstance(pbx_agent, str) else None
        if subject is not None:
            changes = {name: subject, "pbx_agent": pbx_agent}
    return event.model_copy(update=changes) if changes else event

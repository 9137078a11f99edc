"""Agent state events, topic `agent-events`, key `agent_id` (AGENTLOGIN, PAUSE, UNPAUSE)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from cc_schemas.envelope import Event, Id, Name, Seconds


class AgentEvent(Event):
    agent_id: Id = Field(
        description=(
            "The agent as call-events name them in `agent`: the person's sign-in subject when "
            "telephony-ingest's directory knows who the PBX agent is, else the PBX identity, one "
            "whatever interface the PBX logged (`Local/1127@callback-agent` and `Agent/1127` "
            "are `1127`)."
        ),
        examples=["8d0e6c1a-4f1e-4c7b-9a51-3f0b2d7e1127", "1127"],
    )
    queue: Name | None = Field(default=None, description="Queue concerned; null for all queues.")
    interface: Name | None = Field(
        default=None,
        description="The agent's device or channel, as the PBX logged it.",
        examples=["Local/1127@callback-agent", "PJSIP/1001"],
    )
    pbx_agent: Name | None = Field(
        default=None,
        description=(
            "The agent's identity on the PBX when `agent_id` is the person's sign-in subject; "
            "null when `agent_id` is itself the PBX identity."
        ),
        examples=["1127"],
    )


class AgentLoggedIn(AgentEvent):
    event_type: Literal["agent.logged_in"] = "agent.logged_in"


class AgentLoggedOut(AgentEvent):
    event_type: Literal["agent.logged_out"] = "agent.logged_out"
    session_seconds: Seconds | None = Field(
        default=None, description="Time logged in (AGENTLOGOFF logintime), when reported."
    )


class AgentPaused(AgentEvent):
    event_type: Literal["agent.paused"] = "agent.paused"
    reason: str | None = Field(
        default=None, description="Pause reason as set on the phone.", examples=["wrapup", "lunch"]
    )


class AgentUnpaused(AgentEvent):
    event_type: Literal["agent.unpaused"] = "agent.unpaused"


AnyAgentEvent = Annotated[
    AgentLoggedIn | AgentLoggedOut | AgentPaused | AgentUnpaused,
    Field(discriminator="event_type"),
]

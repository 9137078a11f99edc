"""The supervisor's view's SQL: what waits, the window's contacts, and the agents' pauses
(agent-events, kept per agent, the latest by event time). Calls in progress come from the
screen pops (a call answered and not ended)."""

from __future__ import annotations

from datetime import datetime, timedelta

from cc_runtime.postgres import Database
from cc_schemas import AgentEvent, AgentLoggedOut, AgentPaused, AgentUnpaused
from chat.presence import Operator
from chat.screen_pop import Stage
from chat.wallboard import Held, Offered, Snapshot, Waiting

CALL_STALE_AFTER = timedelta(hours=4)  # an answered call whose end never came stops counting


class PostgresWallboard:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def snapshot(
        self, now: datetime, window: timedelta, operators: list[Operator]
    ) -> Snapshot:
        async with self._database.connection() as connection:
            requests = await connection.fetch(
                "SELECT request_id, channel, requested_at FROM contact_requests "
                "WHERE state = 'waiting' AND expires_at > $1",
                now,
            )
            chats = await connection.fetch(
                "SELECT chat_id, started_at FROM chats WHERE state = 'open' AND operator_id IS NULL"
            )
            offered_requests = await connection.fetch(
                "SELECT channel, requested_at, "
                "CASE WHEN state IN ('accepted', 'converted') THEN decided_at END AS answered_at "
                "FROM contact_requests WHERE requested_at >= $1",
                now - window,
            )
            offered_chats = await connection.fetch(
                "SELECT started_at, joined_at FROM chats "
                "WHERE origin = 'customer' AND started_at >= $1",
                now - window,
            )
            on_call = await connection.fetch(
                "SELECT DISTINCT agent FROM screen_pops "
                "WHERE stage = $1 AND agent IS NOT NULL AND changed_at >= $2",
                int(Stage.ANSWERED),
                now - CALL_STALE_AFTER,
            )
            paused = await connection.fetch("SELECT agent_id FROM agent_states WHERE paused")
            held = await connection.fetch(
                "SELECT chat_id, operator_id, started_at FROM chats "
                "WHERE state = 'open' AND operator_id IS NOT NULL ORDER BY started_at LIMIT 500"
            )
        return Snapshot(
            waiting=(
                *(
                    Waiting(
                        "request", r["request_id"], request_channel(r["channel"]), r["requested_at"]
                    )
                    for r in requests
                ),
                *(Waiting("chat", c["chat_id"], "chat", c["started_at"]) for c in chats),
            ),
            offered=(
                *(
                    Offered(request_channel(r["channel"]), r["requested_at"], r["answered_at"])
                    for r in offered_requests
                ),
                *(Offered("chat", c["started_at"], c["joined_at"]) for c in offered_chats),
            ),
            operators=tuple(operators),
            on_call=frozenset(r["agent"] for r in on_call),
            paused=frozenset(r["agent_id"] for r in paused),
            held=tuple(Held(h["chat_id"], h["operator_id"], h["started_at"]) for h in held),
        )

    async def record_agent(self, event: AgentEvent) -> None:
        """The agent's pause and login as the latest event says (an older one changes nothing)."""
        paused = isinstance(event, AgentPaused)
        logged_in = not isinstance(event, AgentLoggedOut)
        if isinstance(event, AgentUnpaused | AgentLoggedOut):
            paused = False
        async with self._database.connection() as connection:
            await connection.execute(
                "INSERT INTO agent_states (agent_id, paused, logged_in, changed_at) "
                "VALUES ($1, $2, $3, $4) ON CONFLICT (agent_id) DO UPDATE "
                "SET paused = $2, logged_in = $3, changed_at = $4 "
                "WHERE agent_states.changed_at <= $4",
                event.agent_id,
                paused,
                logged_in,
                event.occurred_at,
            )


def request_channel(channel: str) -> str:
    """A proactive request's channel, apart from customers' own chats."""
    return f"proactive {channel}"

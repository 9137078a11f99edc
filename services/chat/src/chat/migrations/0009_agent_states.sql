-- The supervisor's view: each agent's last pause or login on the phone (agent-events).
CREATE TABLE agent_states (
    agent_id text PRIMARY KEY,  -- the sign-in subject (or the PBX identity of a stranger)
    paused boolean NOT NULL,
    logged_in boolean NOT NULL,
    changed_at timestamptz NOT NULL  -- event time of the last event that moved it
);

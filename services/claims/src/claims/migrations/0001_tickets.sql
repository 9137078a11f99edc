-- Claim tickets, their assignment chain and their timeline, and the outbox of the events each
-- command publishes: a command writes all four in one transaction.
CREATE TABLE tickets (
    ticket_id text PRIMARY KEY,
    version integer NOT NULL,  -- bumped by every command: the ETag a command must match
    state text NOT NULL,
    customer_id text NOT NULL,
    order_id text,
    product_code text,
    case_id text,
    channel text NOT NULL,
    cluster text NOT NULL,
    priority text NOT NULL,
    priority_rank smallint NOT NULL,  -- urgent 3 .. low 0: queues list the highest first
    subject text NOT NULL,
    description text NOT NULL,
    tags text[] NOT NULL,
    opened_at timestamptz NOT NULL,
    opened_by text NOT NULL,
    assignee text,  -- the current responsible, null when nobody holds it
    team text,  -- the current (or, once closed, the last) responsible's team
    decision jsonb,  -- outcome, decided_by, reason, decided_at
    resolution text,
    closed_at timestamptz,
    merged_into text
);
-- The queues: live tickets by team and holder, highest priority first, then oldest.
CREATE INDEX tickets_live_by_team ON tickets (team, assignee, priority_rank DESC, opened_at)
    WHERE state NOT IN ('closed', 'merged');
CREATE INDEX tickets_by_customer ON tickets (customer_id, opened_at DESC);

CREATE TABLE ticket_stints (
    ticket_id text NOT NULL REFERENCES tickets ON DELETE CASCADE,
    position smallint NOT NULL,
    person text NOT NULL,
    team text NOT NULL,
    started_at timestamptz NOT NULL,
    ended_at timestamptz,
    assigned_by text NOT NULL,
    reason text,
    PRIMARY KEY (ticket_id, position)
);
CREATE INDEX ticket_stints_by_person ON ticket_stints (person, started_at);

-- The timeline, and the audit of every write: who (subject and role), when, what, why.
CREATE TABLE ticket_changes (
    ticket_id text NOT NULL REFERENCES tickets ON DELETE CASCADE,
    position integer NOT NULL,
    kind text NOT NULL,
    at timestamptz NOT NULL,
    by_subject text NOT NULL,
    by_role text,
    from_state text,
    to_state text NOT NULL,
    reason text,
    PRIMARY KEY (ticket_id, position)
);

-- Events written with the change that caused them, published by the relay in id order and
-- deleted once the broker has them: a command's events are neither lost nor sent without it.
CREATE TABLE outbox (
    id bigserial PRIMARY KEY,
    topic text NOT NULL,
    key text NOT NULL,
    value bytea NOT NULL
);

-- Ticket numbers people can read out on the phone: T-1000, T-1001 ...
CREATE SEQUENCE ticket_numbers START 1000;

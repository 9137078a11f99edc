-- kpi's store: every consumed event once, per-call and per-attempt state, hour buckets of
-- additive measures, and per topic and event type how many events are stored and when.

-- Every distinct event of every consumed topic (`topic` is the logical name, namespace aside).
CREATE TABLE events (
    event_id    text PRIMARY KEY,
    topic       text NOT NULL,
    event_type  text NOT NULL,
    occurred_at timestamptz NOT NULL,
    received_at timestamptz NOT NULL,
    body        jsonb NOT NULL
);
-- The reports computed when asked (agents, tickets, chats, ...) read one topic's events; call
-- events, the volume, are read through their state rows instead and left out of it.
CREATE INDEX events_by_topic ON events (topic) WHERE topic <> 'call-events';

-- Per topic and event type: distinct events stored, their event-time span, when kpi last
-- received one (the counters and freshness series of /metrics).
CREATE TABLE event_counts (
    topic            text NOT NULL,
    event_type       text NOT NULL,
    events           bigint NOT NULL,
    first_event_at   timestamptz NOT NULL,
    last_event_at    timestamptz NOT NULL,
    last_received_at timestamptz NOT NULL,
    PRIMARY KEY (topic, event_type)
);

-- One queue call: its facts (one per distinct event) and where its row counts now. The bucket
-- columns are NULL while the call's `call.offered` is unknown (it is not counted yet).
-- `version` counts its writes: a write over another version than the one read is refused.
CREATE TABLE call_state (
    call_id    text PRIMARY KEY,
    version    integer NOT NULL,
    facts      text NOT NULL,  -- a JSON array, read by kpi alone: not parsed by the server
    hour       timestamp,
    queue      text,
    agent      text,
    outcome    text,
    wait_ms    bigint,
    offered_at timestamptz
);
-- The longest waits of a bucket are recomputed from its calls when one leaves it.
CREATE INDEX call_state_by_bucket ON call_state (hour, queue, agent, wait_ms);
-- Calls waiting now (/v1/queues/now, kpi_calls_waiting).
CREATE INDEX call_state_waiting ON call_state (offered_at) WHERE outcome = 'in_queue';

-- Additive measures of the queue calls offered in a local hour (naive local wall time), per
-- queue and agent ('' when not answered), and the longest waits among them.
CREATE TABLE call_buckets (
    hour                     timestamp NOT NULL,
    queue                    text NOT NULL,
    agent                    text NOT NULL,
    offered                  bigint NOT NULL DEFAULT 0,
    answered                 bigint NOT NULL DEFAULT 0,
    answered_in_sl           bigint NOT NULL DEFAULT 0,
    abandoned                bigint NOT NULL DEFAULT 0,
    short_abandoned          bigint NOT NULL DEFAULT 0,
    exited                   bigint NOT NULL DEFAULT 0,
    in_queue                 bigint NOT NULL DEFAULT 0,
    answer_wait_ms           bigint NOT NULL DEFAULT 0,
    waited                   bigint NOT NULL DEFAULT 0,
    wait_ms                  bigint NOT NULL DEFAULT 0,
    handled                  bigint NOT NULL DEFAULT 0,
    talk_ms                  bigint NOT NULL DEFAULT 0,
    hold_ms                  bigint NOT NULL DEFAULT 0,
    wrapup_ms                bigint NOT NULL DEFAULT 0,
    transfers                bigint NOT NULL DEFAULT 0,
    abandoned_wait_ms        bigint NOT NULL DEFAULT 0,
    longest_wait_ms          bigint,
    longest_answered_wait_ms bigint,
    PRIMARY KEY (hour, queue, agent)
);

-- The same per local day: the reports that need no hour (a year by month or week, a month by
-- day) read 365 rows a year per queue and agent instead of 8,760.
CREATE TABLE call_days (LIKE call_buckets INCLUDING DEFAULTS);
ALTER TABLE call_days DROP COLUMN hour;
ALTER TABLE call_days ADD COLUMN day date NOT NULL;
ALTER TABLE call_days ADD PRIMARY KEY (day, queue, agent);

-- One outbound attempt: its facts and where it counts now.
CREATE TABLE outbound_state (
    call_id text PRIMARY KEY,
    version integer NOT NULL,
    facts   text NOT NULL
);

-- Additive measures of outbound attempts started in a local hour, per queue and agent.
CREATE TABLE outbound_buckets (
    hour              timestamp NOT NULL,
    queue             text NOT NULL,
    agent             text NOT NULL,
    attempts          bigint NOT NULL DEFAULT 0,
    connected         bigint NOT NULL DEFAULT 0,
    not_connected     bigint NOT NULL DEFAULT 0,
    in_progress       bigint NOT NULL DEFAULT 0,
    talked            bigint NOT NULL DEFAULT 0,
    talk_ms           bigint NOT NULL DEFAULT 0,
    ended_completed   bigint NOT NULL DEFAULT 0,
    ended_transferred bigint NOT NULL DEFAULT 0,
    ended_cancelled   bigint NOT NULL DEFAULT 0,
    ended_no_answer   bigint NOT NULL DEFAULT 0,
    ended_busy        bigint NOT NULL DEFAULT 0,
    ended_unavailable bigint NOT NULL DEFAULT 0,
    ended_congestion  bigint NOT NULL DEFAULT 0,
    ended_unknown     bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (hour, queue, agent)
);

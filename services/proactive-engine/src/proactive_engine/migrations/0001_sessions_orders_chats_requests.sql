-- The proactive engine's state: its sessions, the orders and chats it watches, and the
-- ledger of contact requests (which is also the once-per-period throttle).

-- One row per shop session, upserted by checkpoints and by the timer round that settles one
-- of its rule episodes. `state` is the folded state (codec.py, JSON bytes); the columns beside
-- it are what SQL itself reads: a partition's load (partition, last_at) and the decided
-- episodes, which the ledger's transaction adds to. Room is left on each page (fillfactor)
-- and only `partition` is indexed, so that most updates are HOT: a new row version on the
-- same page and no index entry to write (`last_at` changes with every update).
CREATE TABLE sessions (
    session_id text PRIMARY KEY,
    partition integer NOT NULL,
    last_at timestamptz NOT NULL,
    fired text[] NOT NULL DEFAULT '{}',
    state bytea NOT NULL
) WITH (fillfactor = 80);
-- A partition's load (its sessions, nearly all within the retention), and housekeeping's
-- delete of the idle ones.
CREATE INDEX sessions_partition ON sessions (partition);

-- An order's latest problem (NULL: none any longer), by event time.
CREATE TABLE orders (
    order_id text PRIMARY KEY,
    problem text,
    at timestamptz NOT NULL,
    event_id text NOT NULL
);

CREATE TABLE chats (
    chat_id text PRIMARY KEY,
    session_id text,
    customer_id text,
    started_at timestamptz,
    ended_at timestamptz
);
-- Open chats of the sessions and customers of a timer round.
CREATE INDEX chats_open_session ON chats (session_id) WHERE ended_at IS NULL;
CREATE INDEX chats_open_customer ON chats (customer_id) WHERE ended_at IS NULL;

-- The ledger: one row per request the engine decided to publish, entered at `claimed_at`.
-- `published_at` is set once Kafka acknowledged the request, in the transaction that stores
-- the session's settled episode; a row without it is `owner`'s to publish since `leased_at`
-- (and maybe published: the next owner looks on the topic first).
CREATE TABLE requests (
    request_id text PRIMARY KEY,
    session_id text NOT NULL,
    subject text NOT NULL,
    rule text NOT NULL,
    owner text NOT NULL,
    claimed_at timestamptz NOT NULL,
    leased_at timestamptz NOT NULL,
    published_at timestamptz,
    event jsonb NOT NULL
);
-- The throttle: the latest request of a subject and rule.
CREATE INDEX requests_subject_rule_claimed_at ON requests (subject, rule, claimed_at);
-- Housekeeping's purge of old entries.
CREATE INDEX requests_claimed_at ON requests (claimed_at);

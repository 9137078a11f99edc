-- Live chats and their messages. A chat's row is locked for each step (a message, a join, the
-- end, the customer's rating), which numbers its messages 1, 2, 3... in the order stored.
CREATE TABLE chats (
    chat_id text PRIMARY KEY,
    origin text NOT NULL,  -- customer or proactive
    request_id text UNIQUE REFERENCES contact_requests,  -- the request a proactive chat answers
    customer_id text,
    session_id text,
    operator_id text,  -- null while a customer's chat waits for an operator
    joined_at timestamptz,
    state text NOT NULL,  -- open or ended
    started_at timestamptz NOT NULL,
    ended_at timestamptz,
    ended_by text,
    last_seq integer NOT NULL DEFAULT 0,
    csat_score smallint,
    csat_comment text,
    rated_at timestamptz
);
-- The console's list: an operator's open chats, and customers' chats no operator has taken.
CREATE INDEX chats_open_by_operator ON chats (operator_id, started_at) WHERE state = 'open';
-- The widget finds the proactive chat an operator opened for its shop session.
CREATE INDEX chats_open_by_session ON chats (session_id) WHERE state = 'open';

CREATE TABLE chat_messages (
    chat_id text NOT NULL REFERENCES chats,
    seq integer NOT NULL,
    message_id text NOT NULL,  -- the sender's own id: a message sent again is stored once
    sender text NOT NULL,
    agent text,
    text text NOT NULL,
    sent_at timestamptz NOT NULL,
    PRIMARY KEY (chat_id, seq),
    UNIQUE (chat_id, message_id)
);

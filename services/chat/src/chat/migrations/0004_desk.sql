-- The operator desk: presence and seats, auto-assignment, transfer to a team, internal notes,
-- typing and read state, and the messages customers leave when nobody is online.
CREATE TABLE operators (
    operator_id text PRIMARY KEY,  -- the sign-in subject
    status text NOT NULL,  -- online, away or offline, as the operator last said
    seat_limit integer NOT NULL,  -- the chats they hold at once (token's chat_seat_limit, else the setting)
    team text,
    last_seen timestamptz NOT NULL,  -- the console's last heartbeat
    changed_at timestamptz NOT NULL  -- when the status last changed
);

-- A chat transferred to a team waits for an operator of that team.
ALTER TABLE chats ADD COLUMN team text;
-- Typing indicators and read state, carried by the polls both sides already make.
ALTER TABLE chats ADD COLUMN customer_typing_at timestamptz;
ALTER TABLE chats ADD COLUMN agent_typing_at timestamptz;
ALTER TABLE chats ADD COLUMN customer_read_seq integer NOT NULL DEFAULT 0;
ALTER TABLE chats ADD COLUMN agent_read_seq integer NOT NULL DEFAULT 0;
-- The auto-assigner takes the oldest waiting chat first.
CREATE INDEX chats_waiting ON chats (started_at) WHERE state = 'open' AND operator_id IS NULL;

-- Operators' notes on a chat (a transfer's note among them): never shown to the customer.
CREATE TABLE chat_notes (
    chat_id text NOT NULL REFERENCES chats,
    note_no integer NOT NULL,
    author text NOT NULL,
    text text NOT NULL,
    written_at timestamptz NOT NULL,
    PRIMARY KEY (chat_id, note_no)
);

-- What a customer leaves when no operator is online, for operators to answer later.
CREATE TABLE left_messages (
    message_id text PRIMARY KEY,
    session_id text,
    name text,
    contact text NOT NULL,  -- an e-mail address or a phone number to answer on
    text text NOT NULL,
    left_at timestamptz NOT NULL,
    handled_by text,
    handled_at timestamptz
);
CREATE INDEX left_messages_open ON left_messages (left_at) WHERE handled_at IS NULL;

-- Customers as the shop publishes them (customer-events) and as bulk imports bring them, with
-- one row per phone, e-mail and social handle, each indexed for recognition.
CREATE TABLE customers (
    customer_id text PRIMARY KEY,
    first_name text,
    last_name text,
    language text,
    loyalty_tier text NOT NULL DEFAULT 'none',
    profile jsonb NOT NULL,  -- the record as received: phones, e-mails, addresses, consents ...
    competence_needed text,  -- set by operators
    competence_set_by text,
    source text NOT NULL,
    updated_at timestamptz NOT NULL  -- event time of the version held: older ones are ignored
);

CREATE TABLE customer_phones (
    customer_id text NOT NULL REFERENCES customers ON DELETE CASCADE,
    e164 text NOT NULL,
    national text NOT NULL,  -- national significant number, Italian leading zero kept
    raw text NOT NULL,
    position smallint NOT NULL,
    PRIMARY KEY (customer_id, e164)
);
CREATE INDEX customer_phones_by_e164 ON customer_phones (e164);
CREATE INDEX customer_phones_by_national ON customer_phones (national);

CREATE TABLE customer_emails (
    customer_id text NOT NULL REFERENCES customers ON DELETE CASCADE,
    address text NOT NULL,  -- lower-cased (contact_points.py says why, local part too)
    raw text NOT NULL,
    position smallint NOT NULL,
    PRIMARY KEY (customer_id, address)
);
CREATE INDEX customer_emails_by_address ON customer_emails (address);

CREATE TABLE customer_handles (
    customer_id text NOT NULL REFERENCES customers ON DELETE CASCADE,
    network text NOT NULL,
    handle text NOT NULL,  -- without @, lower-cased
    raw text NOT NULL,
    PRIMARY KEY (customer_id, network, handle)
);
CREATE INDEX customer_handles_by_handle ON customer_handles (handle, network);

-- event_ids of customer-events already applied: a redelivery changes nothing.
CREATE TABLE processed_events (
    event_id text PRIMARY KEY,
    processed_at timestamptz NOT NULL DEFAULT now()
);

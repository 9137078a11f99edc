-- Orders (order-events), claims (ticket-opened / ticket-closed) and the contacts crm sees
-- (call-events): a customer's value, problems in progress and history.
CREATE TABLE orders (
    order_id text PRIMARY KEY,
    customer_id text,  -- null for guest orders
    status text NOT NULL,
    status_at timestamptz NOT NULL,  -- event time of the status held: older events keep it
    status_reason text,
    placed_at timestamptz,
    total_cents bigint,
    currency text,
    carrier text,
    tracking_number text,
    tracking_url text,
    expected_delivery date
);
CREATE INDEX orders_by_customer ON orders (customer_id, placed_at DESC);

CREATE TABLE claims (
    ticket_id text PRIMARY KEY,
    customer_id text,
    opened_at timestamptz,
    closed_at timestamptz
);
CREATE INDEX claims_open_by_customer ON claims (customer_id) WHERE closed_at IS NULL;

-- One row per call (and later chat), its id the call's: never a second record of one contact.
CREATE TABLE contacts (
    contact_id text PRIMARY KEY,
    channel text NOT NULL,
    customer_id text,  -- null while unknown or anonymous
    level text NOT NULL,  -- the identification's
    presented text,
    queue text,
    agent text,
    started_at timestamptz NOT NULL,
    answered_at timestamptz,
    ended_at timestamptz,
    wait_seconds double precision,
    talk_seconds double precision,
    outcome text  -- answered, abandoned, exited, transferred
);
-- Newest first, with (started_at, contact_id) as the pagination cursor.
CREATE INDEX contacts_by_customer ON contacts (customer_id, started_at DESC, contact_id DESC);

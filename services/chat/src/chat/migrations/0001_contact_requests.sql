-- The operators' queue of contact requests, the outbox of the contact-outcomes each move
-- publishes (a move writes both in one transaction) and the audit of operators' writes.
CREATE TABLE contact_requests (
    request_id text PRIMARY KEY,
    event_id text NOT NULL UNIQUE,  -- the contact.requested it came in: redeliveries add nothing
    session_id text NOT NULL,
    customer_id text,
    rule text NOT NULL,
    reason text,
    priority text NOT NULL,
    priority_rank smallint NOT NULL,  -- low 0 .. urgent 3: the queue lists the highest first
    strategic_level text,
    strategic_rank smallint,  -- standard 0 .. platinum 3, null when the request carries none
    channel text NOT NULL,
    context jsonb NOT NULL,
    requested_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    state text NOT NULL,
    operator_id text,
    decided_at timestamptz,
    decline_reason text,
    converted_by_order text,  -- the order that followed an accepted request, and when
    converted_at timestamptz
);
-- The live queue in the order operators take it, and the expiry watcher's next work.
CREATE INDEX contact_requests_waiting ON contact_requests
    (priority_rank DESC, strategic_rank DESC NULLS LAST, requested_at, request_id)
    WHERE state = 'waiting';
CREATE INDEX contact_requests_expiring ON contact_requests (expires_at) WHERE state = 'waiting';
-- Conversions: the accepted requests of a customer, by acceptance time.
CREATE INDEX contact_requests_accepted ON contact_requests (customer_id, decided_at)
    WHERE state = 'accepted';

-- Events written with the move that caused them, published by the relay in id order and
-- deleted once the broker has them (cc_runtime.outbox).
CREATE TABLE outbox (
    id bigserial PRIMARY KEY,
    topic text NOT NULL,
    key text NOT NULL,
    value bytea NOT NULL
);

-- Who did each write (cc_runtime.audit): an operator's accept or decline.
CREATE TABLE audit (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at timestamptz NOT NULL,
    subject text NOT NULL,
    roles text[] NOT NULL,
    client_id text,
    credential text NOT NULL,
    action text NOT NULL,
    target text
);
CREATE INDEX audit_subject_at ON audit (subject, at);

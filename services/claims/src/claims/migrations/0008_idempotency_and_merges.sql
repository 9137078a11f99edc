-- Opening a claim again with the same Idempotency-Key (a retried POST) answers the claim the
-- first request opened, instead of opening a second one.
CREATE TABLE opening_keys (
    subject text NOT NULL,  -- keys are the caller's own: two callers may pick the same one
    idempotency_key text NOT NULL,
    ticket_id text NOT NULL REFERENCES tickets ON DELETE CASCADE,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (subject, idempotency_key)
);

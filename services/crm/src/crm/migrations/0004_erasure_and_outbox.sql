-- GDPR erasure (issue 17): customers crm has erased, by the shop's id, so a late or replayed
-- customer.registered / customer.updated cannot bring them back; and the outbox of the events
-- a write publishes (cc_runtime.outbox), written in the write's transaction.
CREATE TABLE erasures (
    customer_id text PRIMARY KEY,
    erased_at timestamptz NOT NULL,
    reason text
);

CREATE TABLE outbox (
    id bigserial PRIMARY KEY,
    topic text NOT NULL,
    key text NOT NULL,
    value bytea NOT NULL
);

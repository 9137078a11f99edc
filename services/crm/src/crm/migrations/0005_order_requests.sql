-- What operators asked of orders in progress (issue 17): each request published on
-- order-commands (through the outbox, in the request's transaction) and settled by the shop's
-- order-events. One request waits for the shop per order at a time.
CREATE TABLE order_requests (
    request_id text PRIMARY KEY,
    order_id text NOT NULL,
    kind text NOT NULL,  -- cancel, change_address, change_items, release_carrier_hold, return ...
    state text NOT NULL,  -- requested, confirmed, overtaken
    reason text NOT NULL,  -- the operator's words
    detail jsonb NOT NULL,  -- what it needs: the new address, the items, the carrier's instructions
    requested_by text NOT NULL,  -- the operator's sign-in subject
    requested_at timestamptz NOT NULL,
    settled_at timestamptz,  -- event time of the order-event that settled it
    outcome text  -- what the shop did, or why the order can no longer take it
);
CREATE UNIQUE INDEX order_requests_one_waiting ON order_requests (order_id)
    WHERE state = 'requested';
CREATE INDEX order_requests_by_order ON order_requests (order_id, requested_at DESC);

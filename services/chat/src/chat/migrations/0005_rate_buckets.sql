-- The customer side's rate limits: a token bucket per chat and per client address.
CREATE TABLE rate_buckets (
    bucket text PRIMARY KEY,  -- chat:<chat id> or client:<address>
    tokens double precision NOT NULL,
    at timestamptz NOT NULL  -- when `tokens` was counted
);
CREATE INDEX rate_buckets_idle ON rate_buckets (at);

-- The watermark goes on after a restart from where the last checkpoint left it: per shop
-- partition, the latest event time read, written in the checkpoint's transaction with the
-- sessions it stores.
CREATE TABLE partitions (
    partition integer PRIMARY KEY,
    latest_at timestamptz NOT NULL
);

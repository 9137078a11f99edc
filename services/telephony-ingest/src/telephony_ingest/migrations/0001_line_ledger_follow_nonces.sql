-- telephony-ingest's state: the queue_log line ledger with its open and remembered batches,
-- the live follower's files and offsets, and the webhook's nonces. Keys are compared bytewise
-- (COLLATE "C"): they are ids, not words, and a locale's comparison costs several times more
-- on every index insert.

-- One row per queue_log line published or dead-lettered, keyed by the line's epoch and event
-- id (handlers.ledger_key), so that keys grow in time order and a batch's inserts land on the
-- right edge of the primary key. `handled_at` is when the line was recorded: retention forgets
-- lines handled before a cut-off. Its index is a BRIN (a summary per range of pages): rows are
-- appended in `handled_at` order, so it finds old rows as well as a btree would and costs
-- almost nothing per insert, where a second btree would double the index work of every line.
CREATE TABLE queue_log_lines (
    line_id text COLLATE "C" PRIMARY KEY,
    handled_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX queue_log_lines_handled_at ON queue_log_lines
    USING brin (handled_at) WITH (autosummarize = on);

-- Batches recorded in the ledger whose events the broker has not yet acknowledged, with their
-- new lines (packed, compressed: repository._pack); removed when acknowledged. A row whose
-- lease (`expires_at`) has passed was left by a crash: the next import publishes its lines.
-- The blob is already compressed, so the server stores it as it is (STORAGE EXTERNAL).
CREATE TABLE queue_log_open_batches (
    batch_id text COLLATE "C" PRIMARY KEY,
    name text NOT NULL,
    expires_at timestamptz NOT NULL,
    lines bytea NOT NULL
);
ALTER TABLE queue_log_open_batches ALTER COLUMN lines SET STORAGE EXTERNAL;
CREATE INDEX queue_log_open_batches_expires_at ON queue_log_open_batches (expires_at);

-- Batches handed over whole, by a hash of their lines' ids: a batch met again (a re-upload,
-- a renamed or grown copy) is known to be all duplicates with one lookup. Forgotten with the
-- ledger's lines.
CREATE TABLE queue_log_batches (
    batch_key text COLLATE "C" PRIMARY KEY,
    handled_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX queue_log_batches_handled_at ON queue_log_batches (handled_at);

-- The live follower: per followed file (by the fingerprint of its first line) the byte offset
-- and line number read up to, and per followed path the file it follows.
CREATE TABLE queue_log_progress (
    file_id text COLLATE "C" PRIMARY KEY,
    name text NOT NULL,
    byte_offset bigint NOT NULL,
    line bigint NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE TABLE queue_log_follow (
    path text COLLATE "C" PRIMARY KEY,
    inode bigint NOT NULL,
    device bigint NOT NULL,
    fingerprint text NOT NULL,
    updated_at timestamptz NOT NULL
);

-- Signatures of webhook and import requests already accepted, until they expire.
CREATE TABLE webhook_nonces (
    nonce text COLLATE "C" PRIMARY KEY,
    expires_at timestamptz NOT NULL
);
CREATE INDEX webhook_nonces_expires_at ON webhook_nonces (expires_at);

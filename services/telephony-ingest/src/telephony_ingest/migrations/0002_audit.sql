-- Who did each write (issue 16's audit, cc_runtime.audit): an administrator's queue_log import
-- (bearer token: subject, the roles it granted, the OAuth client), and each signed webhook
-- request of the PBX (credential 'pbx-hmac', subject the PBX's id), recorded with its nonce.
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

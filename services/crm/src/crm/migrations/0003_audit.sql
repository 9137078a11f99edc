-- Who did each write (issue 16's audit, cc_runtime.audit): a customer import (an
-- administrator's, recorded before its first row) and a competence set on a customer (an
-- operator's, in the transaction that sets it): the subject, the roles the token granted, the
-- OAuth client, the route and the customer.
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

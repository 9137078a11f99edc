-- Files attached to a claim (photos of the damage, invoices, instructions), their content kept
-- once by sha256 in the blob store; who attached each (an operator's subject, or the customer).
CREATE TABLE attachments (
    attachment_id uuid PRIMARY KEY,
    ticket_id text NOT NULL REFERENCES tickets ON DELETE CASCADE,
    sha256 text NOT NULL,
    size bigint NOT NULL,
    content_type text NOT NULL,  -- detected from the content
    filename text NOT NULL,  -- as sent, for the download's name only
    uploaded_by text NOT NULL,
    uploaded_at timestamptz NOT NULL
);
CREATE INDEX attachments_by_ticket ON attachments (ticket_id, uploaded_at);
CREATE INDEX attachments_by_sha256 ON attachments (sha256);

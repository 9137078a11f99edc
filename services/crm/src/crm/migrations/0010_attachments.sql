-- Attachments (issue 17) on a contact or a case: metadata here, the content once per sha256 in
-- the blob store (cc_attachments, CRM_ATTACHMENTS_DIR).
CREATE TABLE attachments (
    attachment_id uuid PRIMARY KEY,
    owner_kind text NOT NULL CHECK (owner_kind IN ('contact', 'case')),
    owner_id text NOT NULL,
    sha256 text NOT NULL,
    size bigint NOT NULL,
    content_type text NOT NULL,  -- detected from the content
    filename text NOT NULL,  -- as the uploader named it; shown, never trusted for the type
    uploaded_by text NOT NULL,
    uploaded_at timestamptz NOT NULL
);
CREATE INDEX attachments_by_owner ON attachments (owner_kind, owner_id, uploaded_at);
CREATE INDEX attachments_by_sha256 ON attachments (sha256);

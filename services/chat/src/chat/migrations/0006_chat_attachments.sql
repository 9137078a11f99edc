-- Files sent in chats (photos, PDFs): the message that carries each (its text is the file's
-- name) and where its content is, kept once by sha256 in CHAT_ATTACHMENTS_DIR.
CREATE TABLE chat_attachments (
    attachment_id text PRIMARY KEY,
    chat_id text NOT NULL,
    seq integer NOT NULL,
    sha256 text NOT NULL,
    size bigint NOT NULL,
    content_type text NOT NULL,  -- detected from the content
    filename text NOT NULL,
    FOREIGN KEY (chat_id, seq) REFERENCES chat_messages (chat_id, seq),
    UNIQUE (chat_id, seq)
);
CREATE INDEX chat_attachments_by_content ON chat_attachments (sha256);

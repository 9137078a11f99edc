-- Interactions (issue 17): every contact (a call, a chat) is one interaction, its id the call's
-- or the chat's. Each change adds one to `version` and is published whole on `interactions`;
-- operators fill in reason and notes with optimistic versioning (If-Match: the version read).
ALTER TABLE contacts
    ADD COLUMN direction text NOT NULL DEFAULT 'inbound',
    ADD COLUMN version integer NOT NULL DEFAULT 1,
    ADD COLUMN first_response_at timestamptz,
    ADD COLUMN resolved boolean,
    ADD COLUMN reason text,
    ADD COLUMN notes text,
    ADD COLUMN order_id text,
    ADD COLUMN product text,
    ADD COLUMN case_id text,
    ADD COLUMN updated_by text,  -- the operator who last wrote reason, notes, order or product
    ADD COLUMN updated_at timestamptz,
    -- a customer attached by hand (manual identification), and what recognition had said
    ADD COLUMN linked_by text,
    ADD COLUMN linked_at timestamptz,
    ADD COLUMN linked_from_level text;

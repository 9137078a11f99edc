-- Full-text search over what a claim is about, in Italian and in English (customers write in
-- either, often mixed): both stemmings of subject, description and product code, one GIN index.
ALTER TABLE tickets ADD COLUMN search tsvector GENERATED ALWAYS AS (
    to_tsvector('italian', coalesce(subject, '') || ' ' || coalesce(description, ''))
    || to_tsvector('english', coalesce(subject, '') || ' ' || coalesce(description, ''))
    || to_tsvector('simple', coalesce(product_code, '') || ' ' || ticket_id)
) STORED;
CREATE INDEX tickets_search ON tickets USING gin (search);

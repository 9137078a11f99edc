-- Approved FAQ, searched by the shop and the chat widget in Italian and English: full-text with
-- accents folded (unaccent) and typo tolerance on the question (pg_trgm). Both extensions are
-- trusted and ship with PostgreSQL; they live once per database, in `public`.
CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public;
CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA public;

-- unaccent() is only STABLE (its dictionary could change); with the dictionary named the
-- result is fixed, which a generated column and an index need.
CREATE FUNCTION folded(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$ SELECT lower(public.unaccent('public.unaccent'::regdictionary, $1)) $$;

CREATE TABLE faqs (
    faq_id bigserial PRIMARY KEY,
    question text NOT NULL,
    answer text NOT NULL,
    language text NOT NULL CHECK (language IN ('it', 'en')),
    key_phrases text[] NOT NULL DEFAULT '{}',
    cases integer NOT NULL,
    version integer NOT NULL DEFAULT 1,
    approved_by text NOT NULL,
    approved_at timestamptz NOT NULL,
    -- Both languages' stemmers on every FAQ: a customer may ask in either.
    search tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('pg_catalog.english', folded(question)), 'A')
        || setweight(to_tsvector('pg_catalog.italian', folded(question)), 'A')
        || setweight(to_tsvector('pg_catalog.english', folded(answer)), 'B')
        || setweight(to_tsvector('pg_catalog.italian', folded(answer)), 'B')
    ) STORED,
    search_question text GENERATED ALWAYS AS (folded(question)) STORED
);
CREATE INDEX faqs_by_words ON faqs USING gin (search);
CREATE INDEX faqs_by_question_trigrams ON faqs USING gin (search_question public.gin_trgm_ops);

-- An editor's decision on a candidate: approved (it became an FAQ) or rejected.
ALTER TABLE topic_candidates
    ADD COLUMN decision text CHECK (decision IN ('approved', 'rejected')),
    ADD COLUMN faq_id bigint REFERENCES faqs ON DELETE SET NULL;

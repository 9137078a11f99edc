-- Cases (issue 17): contacts about one problem linked together (contacts.case_id). A merged
-- case keeps its row and history and redirects to `merged_into`. Every change raises
-- `version` (optimistic versioning, If-Match) and leaves a row in case_history.
CREATE TABLE cases (
    case_id text PRIMARY KEY,
    customer_id text,
    title text NOT NULL,
    reason text,
    order_id text,
    product text,
    language text,
    state text NOT NULL DEFAULT 'open',  -- open, resolved, closed, merged
    merged_into text REFERENCES cases (case_id),
    close_reason text,
    problem text,
    resolution text,
    opened_at timestamptz NOT NULL,
    opened_by text NOT NULL,
    last_contact_at timestamptz NOT NULL,
    ended_at timestamptz,
    ended_by text,
    version integer NOT NULL DEFAULT 1
);
CREATE INDEX cases_open_by_customer ON cases (customer_id, last_contact_at DESC)
    WHERE state = 'open';
CREATE INDEX contacts_by_case ON contacts (case_id, started_at);

CREATE TABLE case_history (
    id bigserial PRIMARY KEY,
    case_id text NOT NULL REFERENCES cases (case_id),
    at timestamptz NOT NULL,
    actor text NOT NULL,
    what text NOT NULL,  -- opened, contact_linked, edited, merged, split, related, resolved ...
    detail jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX case_history_by_case ON case_history (case_id, id);

CREATE TABLE case_relations (
    case_id text NOT NULL REFERENCES cases (case_id),
    related_case_id text NOT NULL REFERENCES cases (case_id),
    PRIMARY KEY (case_id, related_case_id)
);

-- Full-text search in Italian and English, accents folded: each language's stemmer after
-- unaccent (the extension, migration 0006). A text is indexed in both (an operator writes in
-- either, often mixing them); a query is stemmed in both and either may match.
CREATE TEXT SEARCH CONFIGURATION crm_italian (COPY = pg_catalog.italian);
ALTER TEXT SEARCH CONFIGURATION crm_italian
    ALTER MAPPING FOR hword, hword_part, word WITH public.unaccent, italian_stem;
CREATE TEXT SEARCH CONFIGURATION crm_english (COPY = pg_catalog.english);
ALTER TEXT SEARCH CONFIGURATION crm_english
    ALTER MAPPING FOR hword, hword_part, word WITH public.unaccent, english_stem;

-- The configurations are named in the expressions themselves (cast to regconfig, stored as
-- their oids), not through a function whose body would be resolved on each call's search_path.
ALTER TABLE cases ADD COLUMN words tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('crm_italian'::regconfig, title), 'A')
    || setweight(to_tsvector('crm_english'::regconfig, title), 'A')
    || setweight(to_tsvector('crm_italian'::regconfig,
                             coalesce(problem, '') || ' ' || coalesce(resolution, '')), 'B')
    || setweight(to_tsvector('crm_english'::regconfig,
                             coalesce(problem, '') || ' ' || coalesce(resolution, '')), 'B')
) STORED;
CREATE INDEX cases_by_words ON cases USING gin (words);
ALTER TABLE contacts ADD COLUMN words tsvector GENERATED ALWAYS AS (
    to_tsvector('crm_italian'::regconfig, coalesce(notes, ''))
    || to_tsvector('crm_english'::regconfig, coalesce(notes, ''))
) STORED;
CREATE INDEX contacts_by_words ON contacts USING gin (words);

-- The mining input: every resolved case and claim, cleaned and scrubbed on arrival (no personal
-- data in its words); customer_id is kept only so that customer.erased can remove their cases.
CREATE TABLE mining_cases (
    case_id text PRIMARY KEY,          -- 'case:<crm case id>' or 'claim:<ticket id>'
    source text NOT NULL,              -- crm or claims
    customer_id text,
    question text NOT NULL,
    resolution text NOT NULL,
    language text NOT NULL,
    product text,
    closed_at timestamptz NOT NULL,
    stored_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX mining_cases_by_customer ON mining_cases (customer_id);

-- A claim's two halves arrive on two topics (ticket-opened's subject, ticket-closed's outcome)
-- in any order: each is kept here until the other joins it.
CREATE TABLE claim_halves (
    ticket_id text PRIMARY KEY,
    customer_id text,
    question text,
    product text,
    resolution text,
    resolved boolean,
    closed_at timestamptz
);
CREATE INDEX claim_halves_by_customer ON claim_halves (customer_id);

-- Each mining run and the topic candidates it proposed, with the cases behind each.
CREATE TABLE mining_runs (
    run_id bigserial PRIMARY KEY,
    started_at timestamptz NOT NULL,
    finished_at timestamptz NOT NULL,
    cases integer NOT NULL,
    topics integer NOT NULL
);
CREATE TABLE topic_candidates (
    topic_id bigserial PRIMARY KEY,
    run_id bigint NOT NULL REFERENCES mining_runs ON DELETE CASCADE,
    key_phrases text[] NOT NULL,
    question text NOT NULL,
    answer text NOT NULL,
    language text NOT NULL,
    last_case_at timestamptz NOT NULL
);
CREATE TABLE topic_cases (
    topic_id bigint NOT NULL REFERENCES topic_candidates ON DELETE CASCADE,
    case_id text NOT NULL REFERENCES mining_cases ON DELETE CASCADE,
    PRIMARY KEY (topic_id, case_id)
);
CREATE INDEX topic_cases_by_case ON topic_cases (case_id);

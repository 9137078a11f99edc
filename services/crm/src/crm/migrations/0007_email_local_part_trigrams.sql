-- E-mail search by the trigrams of the local part: every address of a domain shares its
-- trigrams ("@example.it"), so an index of whole addresses read a posting list as long as the
-- table for each of them (87 ms at a million customers); the local part's are selective.
DROP INDEX customer_emails_by_trigrams;
CREATE INDEX customer_emails_by_local_part_trigrams ON customer_emails
    USING gin ((split_part(address, '@', 1)) public.gin_trgm_ops);

-- Manual identification (issue 17): operators search customers by name, e-mail, phone, order
-- number or postcode, typo-tolerant (pg_trgm) with accents folded (unaccent). Both extensions
-- are trusted (the database owner may create them) and ship with PostgreSQL (Debian's
-- postgresql-15, the official image). An extension lives once per database, so in `public`,
-- named with its schema: every service schema (and every test namespace) shares it.
CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public;
CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA public;

-- unaccent() is only STABLE (its dictionary could change); with the dictionary named the
-- result is fixed, which an index needs.
CREATE FUNCTION folded(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$ SELECT lower(public.unaccent('public.unaccent'::regdictionary, $1)) $$;

ALTER TABLE customers
    ADD COLUMN search_name text GENERATED ALWAYS AS
        (folded(coalesce(first_name, '') || ' ' || coalesce(last_name, ''))) STORED,
    ADD COLUMN postcodes jsonb GENERATED ALWAYS AS
        (jsonb_path_query_array(profile, '$.addresses[*].postcode')) STORED;
CREATE INDEX customers_by_name_trigrams ON customers USING gin (search_name public.gin_trgm_ops);
CREATE INDEX customers_by_postcode ON customers USING gin (postcodes jsonb_path_ops);
CREATE INDEX customer_emails_by_trigrams ON customer_emails
    USING gin (address public.gin_trgm_ops);
CREATE INDEX orders_by_upper_id ON orders (upper(order_id));

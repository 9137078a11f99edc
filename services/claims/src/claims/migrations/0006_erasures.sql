-- Customers forgotten at their request (customer.erased): each erasure recorded by the pseudonym
-- their tickets now carry, never by who they were.
CREATE TABLE erasures (
    pseudonym text PRIMARY KEY,
    erased_at timestamptz NOT NULL,
    tickets integer NOT NULL
);
CREATE INDEX purchases_by_customer ON purchases (customer_id);

-- A number an operator added to a customer (the caller they attached by hand, issue 17): who
-- and when. The shop's record replaces only its own numbers; an added one stays until the
-- shop's record lists it too (then it is the shop's).
ALTER TABLE customer_phones ADD COLUMN added_by text, ADD COLUMN added_at timestamptz;

-- A merged ticket's timeline is copied into the ticket carrying on: each copied change names
-- the ticket it happened on (from_ticket). It is that ticket's history, not this one's: SLA
-- deadlines and the customer's page read only a ticket's own changes (from_ticket IS NULL).
ALTER TABLE ticket_changes ADD COLUMN from_ticket text;

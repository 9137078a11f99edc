-- Purchases as the shop's order-events tell them (the warranty's start comes from the order,
-- never from the customer's word), and each walked warranty checklist.
CREATE TABLE purchases (
    order_id text PRIMARY KEY,
    customer_id text,
    placed_on date,
    delivered_on date,
    product_codes text[] NOT NULL DEFAULT '{}'
);

CREATE TABLE warranty_checks (
    ticket_id text NOT NULL REFERENCES tickets ON DELETE CASCADE,
    checked_at timestamptz NOT NULL,
    checked_by text NOT NULL,
    verdict text NOT NULL,  -- defect, user_error, misuse
    decided_by text,  -- the check that explained the fault
    answers jsonb NOT NULL,
    covered boolean,  -- null: no purchase known
    covered_until date,
    PRIMARY KEY (ticket_id, checked_at)
);

-- Orders a decision asked the shop to send something for (a replacement, a spare part): when
-- the shop reports the order shipped, the claim's customer is told, once.
CREATE TABLE awaiting_shipment (
    order_id text NOT NULL,
    ticket_id text NOT NULL REFERENCES tickets ON DELETE CASCADE,
    requested_at timestamptz NOT NULL,
    PRIMARY KEY (order_id, ticket_id)
);

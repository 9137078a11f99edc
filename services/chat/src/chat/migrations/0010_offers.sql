-- Auto-assignment offers waiting contact requests: to whom a request is offered now and until
-- when (the console's poll shows it "offered to you"), and who let an offer pass (declined it
-- or let it lapse): the request is not offered to them again.
ALTER TABLE contact_requests ADD COLUMN offered_to text;
ALTER TABLE contact_requests ADD COLUMN offered_until timestamptz;
CREATE INDEX contact_requests_offered ON contact_requests (offered_to)
    WHERE state = 'waiting' AND offered_to IS NOT NULL;

CREATE TABLE contact_request_passes (
    request_id text NOT NULL REFERENCES contact_requests,
    operator_id text NOT NULL,
    passed_at timestamptz NOT NULL,
    why text NOT NULL,  -- 'lapsed', or the reason the operator declined the offer with
    PRIMARY KEY (request_id, operator_id)
);

"""The customer's own view of a claim: a signed, expiring link to a page in customer words."""

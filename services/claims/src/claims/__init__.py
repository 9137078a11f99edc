"""Claims: tickets opened, assigned down a chain of responsibles, closed (un)resolved."""

"""Who may call each route of claims: its one access table (issue 16). The runtime adds its
operations routes (/healthz, /readyz and the docs public; /metrics open on 127.0.0.1); every
route claims gains gets its entry here, or the app is not built.

Operators open, work and close claims; back-office users (marketing, logistics, quality) work
the claims handed to them and decide on them, but neither open nor close them (the contact
centre owns the customer); supervisors, who are operators too, also merge and read reports."""

from cc_runtime import BACK_OFFICE, OPERATOR, SUPERVISOR, Access, requires
from cc_runtime.access import PUBLIC, SIGNED_LINK

WORKERS = requires(OPERATOR, BACK_OFFICE)

ACCESS: dict[str, Access] = {
    "POST /v1/tickets": requires(OPERATOR),
    "GET /v1/tickets": WORKERS,
    "GET /v1/tickets/{ticket_id}": WORKERS,
    "POST /v1/tickets/{ticket_id}/assign": WORKERS,
    "POST /v1/tickets/{ticket_id}/wait": WORKERS,
    "POST /v1/tickets/{ticket_id}/resume": WORKERS,
    "POST /v1/tickets/{ticket_id}/resolve": WORKERS,
    "POST /v1/tickets/{ticket_id}/close": requires(OPERATOR),
    "POST /v1/tickets/{ticket_id}/reopen": requires(OPERATOR),
    "POST /v1/tickets/{ticket_id}/merge": requires(SUPERVISOR),
    "GET /v1/tickets/{ticket_id}/warranty": WORKERS,
    "GET /v1/tickets/{ticket_id}/replacement": WORKERS,
    "POST /v1/tickets/{ticket_id}/warranty-check": WORKERS,
    "GET /v1/reports/responsibles": requires(SUPERVISOR),
    "GET /v1/reports/products": requires(SUPERVISOR, BACK_OFFICE),
    "GET /v1/search/tickets": WORKERS,
    "POST /v1/reassignments": requires(SUPERVISOR),
    "POST /v1/tickets/{ticket_id}/customer-link": WORKERS,
    # The customer's own page: the signed link in the query is the credential.
    "GET /claim": SIGNED_LINK,
    "POST /claim/messages": SIGNED_LINK,
    "POST /claim/photos": SIGNED_LINK,
    "POST /v1/tickets/{ticket_id}/attachments": WORKERS,
    "GET /v1/tickets/{ticket_id}/attachments": WORKERS,
    "GET /v1/tickets/{ticket_id}/attachments/{attachment_id}": WORKERS,
    # The back-office screen: its page and static files hold no data (the page is where one
    # signs in); its fragments call the routes above with the caller's token.
    "GET /v1/me": WORKERS,
    "GET /console": PUBLIC,
    "GET /console/static/{name}": PUBLIC,
    "GET /console/queue": WORKERS,
    "GET /console/search": WORKERS,
    "GET /console/tickets/{ticket_id}": WORKERS,
    "POST /console/tickets/{ticket_id}/assign": WORKERS,
    "POST /console/tickets/{ticket_id}/warranty-check": WORKERS,
    "POST /console/tickets/{ticket_id}/resolve": WORKERS,
    "POST /console/tickets/{ticket_id}/wait": WORKERS,
    "POST /console/tickets/{ticket_id}/resume": WORKERS,
    "POST /console/tickets/{ticket_id}/close": requires(OPERATOR),
    "POST /console/tickets/{ticket_id}/attachments": WORKERS,
}

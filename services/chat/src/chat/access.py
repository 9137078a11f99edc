"""Who may call each route of chat: its one access table (issue 16). The runtime adds its
operations routes (/healthz, /readyz and the docs public; /metrics open on 127.0.0.1).

Operators (supervisors are operators too) work the contact-request queue, in the console too.
The console's page and static files are public: they hold no data, and the page is where
people sign in; every fragment it loads takes the operator's bearer token."""

from cc_runtime import OPERATOR, PEOPLE, PUBLIC, Access, requires

ACCESS: dict[str, Access] = {
    "GET /v1/me": requires(*PEOPLE),
    "GET /v1/contact-requests": requires(OPERATOR),
    "GET /v1/contact-requests/{request_id}": requires(OPERATOR),
    "POST /v1/contact-requests/{request_id}/accept": requires(OPERATOR),
    "POST /v1/contact-requests/{request_id}/decline": requires(OPERATOR),
    "GET /console": PUBLIC,
    "GET /console/static/{name}": PUBLIC,
    "GET /console/queue": requires(OPERATOR),
    "POST /console/requests/{request_id}/accept": requires(OPERATOR),
    "POST /console/decline": requires(OPERATOR),
}

"""Who may call each route of chat: its one access table (issue 16). The runtime adds its
operations routes (/healthz, /readyz and the docs public; /metrics open on 127.0.0.1).

Operators (supervisors are operators too) work the contact-request queue."""

from cc_runtime import OPERATOR, PEOPLE, Access, requires

ACCESS: dict[str, Access] = {
    "GET /v1/me": requires(*PEOPLE),
    "GET /v1/contact-requests": requires(OPERATOR),
    "GET /v1/contact-requests/{request_id}": requires(OPERATOR),
    "POST /v1/contact-requests/{request_id}/accept": requires(OPERATOR),
    "POST /v1/contact-requests/{request_id}/decline": requires(OPERATOR),
}

"""Who may call each route of crm: its one access table (issue 16). The runtime adds its
operations routes (/healthz, /readyz and the docs public; /metrics open on 127.0.0.1); every
route crm gains gets its entry here, or the app is not built."""

from cc_runtime import ADMIN, OPERATOR, Access, requires

ACCESS: dict[str, Access] = {
    "POST /v1/customers/imports": requires(ADMIN),
    "GET /v1/identify": requires(OPERATOR),
    "GET /v1/customers/{customer_id}": requires(OPERATOR),
    "PUT /v1/customers/{customer_id}/competence": requires(OPERATOR),
    "GET /v1/customers/{customer_id}/export": requires(ADMIN),
    "POST /v1/customers/{customer_id}/erase": requires(ADMIN),
    "GET /v1/orders/{order_id}": requires(OPERATOR),
    "GET /v1/search/customers": requires(OPERATOR),
    "POST /v1/orders/{order_id}/requests": requires(OPERATOR),
    "GET /v1/interactions/{interaction_id}": requires(OPERATOR),
    "PATCH /v1/interactions/{interaction_id}": requires(OPERATOR),
    "PUT /v1/interactions/{interaction_id}/customer": requires(OPERATOR),
    "GET /v1/interactions/{interaction_id}/case-proposals": requires(OPERATOR),
    "PUT /v1/interactions/{interaction_id}/case": requires(OPERATOR),
    "GET /v1/cases/{case_id}": requires(OPERATOR),
    "PATCH /v1/cases/{case_id}": requires(OPERATOR),
    "POST /v1/cases/{case_id}/resolve": requires(OPERATOR),
    "POST /v1/cases/{case_id}/reopen": requires(OPERATOR),
    "POST /v1/cases/{case_id}/merge": requires(OPERATOR),
    "POST /v1/cases/{case_id}/split": requires(OPERATOR),
    "POST /v1/cases/{case_id}/related": requires(OPERATOR),
    "GET /v1/customers/{customer_id}/cases": requires(OPERATOR),
    "GET /v1/search/cases": requires(OPERATOR),
    "POST /v1/interactions/{interaction_id}/attachments": requires(OPERATOR),
    "GET /v1/interactions/{interaction_id}/attachments": requires(OPERATOR),
    "GET /v1/interactions/{interaction_id}/attachments/{attachment_id}": requires(OPERATOR),
    "POST /v1/cases/{case_id}/attachments": requires(OPERATOR),
    "GET /v1/cases/{case_id}/attachments": requires(OPERATOR),
    "GET /v1/cases/{case_id}/attachments/{attachment_id}": requires(OPERATOR),
}

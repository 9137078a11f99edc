"""Who may call each route of kpi: its one access table (issue 16). The reports and the live
queue are for supervisors; the runtime adds its operations routes (/healthz, /readyz and the
docs public; /metrics open on 127.0.0.1, a `metrics` token from elsewhere). Every route kpi gains
gets its entry here, or the app is not built."""

from cc_runtime import SUPERVISOR, Access, requires

ACCESS: dict[str, Access] = {
    "GET /v1/reports/calls": requires(SUPERVISOR),
    "GET /v1/reports/outbound": requires(SUPERVISOR),
    "GET /v1/reports/agents": requires(SUPERVISOR),
    "GET /v1/reports/tickets": requires(SUPERVISOR),
    "GET /v1/reports/backlog": requires(SUPERVISOR),
    "GET /v1/reports/assignees": requires(SUPERVISOR),
    "GET /v1/reports/sla": requires(SUPERVISOR),
    "GET /v1/reports/chats": requires(SUPERVISOR),
    "GET /v1/reports/interactions": requires(SUPERVISOR),
    "GET /v1/reports/csat": requires(SUPERVISOR),
    "GET /v1/reports/contacts": requires(SUPERVISOR),
    "GET /v1/queues/now": requires(SUPERVISOR),
}

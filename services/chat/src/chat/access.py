"""Who may call each route of chat: its one access table (issue 16). The runtime adds its
operations routes (/healthz, /readyz and the docs public; /metrics open on 127.0.0.1)."""

from cc_runtime import PEOPLE, Access, requires

ACCESS: dict[str, Access] = {
    "GET /v1/me": requires(*PEOPLE),
}

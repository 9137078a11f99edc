"""Who may call each route of crm: its one access table (issue 16). The runtime adds its
operations routes (/healthz, /readyz and the docs public; /metrics open on 127.0.0.1); every
route crm gains gets its entry here, or the app is not built."""

from cc_runtime import ADMIN, Access, requires

ACCESS: dict[str, Access] = {
    "POST /v1/customers/imports": requires(ADMIN),
}

"""Who may call each route of the proactive engine: its one access table (issue 16). The engine
serves no route of its own (it reads the shop's topics and writes contact requests), so the
table is empty; the runtime adds its operations routes (/healthz, /readyz and the docs public;
/metrics open on 127.0.0.1, a `metrics` token from elsewhere). A route the engine gains gets its
entry here, or the app is not built."""

from cc_runtime import Access

ACCESS: dict[str, Access] = {}

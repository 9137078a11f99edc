"""Who may call each route of telephony-ingest: its one access table (issue 16). The runtime
adds its operations routes (/healthz, /readyz and the docs public; /metrics open on 127.0.0.1);
every route the service gains gets its entry here, or the app is not built.

The webhook is the PBX middleware's: the runtime lets it through to its own guard (guard.Door),
which checks the HMAC signature and refuses a replay. The queue_log imports are an
administrator's (or a machine client's holding the `admin` role, such as cc-dev's)."""

from cc_runtime import ADMIN, PBX_HMAC, Access, requires

ACCESS: dict[str, Access] = {
    "POST /v1/call-events": PBX_HMAC,
    "POST /v1/agent-events": PBX_HMAC,
    "POST /v1/events:batch": PBX_HMAC,
    "POST /v1/queue-log/imports": requires(ADMIN),
    "POST /v1/queue-log/imports:server-path": requires(ADMIN),
}

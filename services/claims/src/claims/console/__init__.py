"""The back-office screen of claims (issue 18): marketing, logistics and quality, operators
and supervisors work claims in a browser. Server-rendered with htmx, as chat's console is,
sharing its sign-in script and htmx (`cc_runtime.console`).

Each fragment calls claims' own JSON API as any client does, with the caller's bearer token
and, for a command, `If-Match` with the version the screen shows: the API's rules, team scope
and refusals are the screen's, worded here in English or Italian."""

from claims.console.routes import console_router, me_router

__all__ = ["console_router", "me_router"]

"""The routes of an app with their full paths, and the one a request reaches: FastAPI keeps an
included router as one entry of `app.routes`, whose routes it resolves (prefixes joined) only
when asked, so `app.routes` alone neither lists nor names them."""

from collections.abc import Iterator

from fastapi import FastAPI
from fastapi.routing import RouteContext, iter_route_contexts
from starlette.routing import Match
from starlette.types import Scope


def effective_routes(app: FastAPI) -> Iterator[RouteContext]:
    return iter_route_contexts(app.routes)


def matched_route(app: FastAPI, scope: Scope) -> RouteContext | None:
    """The route that serves this request or socket in full (path and method), or None."""
    for route in effective_routes(app):
        match, _ = route.matches(scope)
        if match is Match.FULL and route.path_format is not None:
            return route
    return None

"""HTTP request count and latency of a service, by route template (not raw path, to keep the
label set bounded), method and status."""

import time
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from prometheus_client import CollectorRegistry, Counter, Histogram

from cc_runtime.routes import matched_route


def instrument_http(app: FastAPI, registry: CollectorRegistry) -> None:
    requests = Counter(
        "http_requests_total",
        "HTTP requests served",
        ["method", "route", "status"],
        registry=registry,
    )
    latency = Histogram(
        "http_request_duration_seconds",
        "Time to serve an HTTP request",
        ["method", "route"],
        registry=registry,
    )

    @app.middleware("http")
    async def measure(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        route = route_template(app, request)
        latency.labels(request.method, route).observe(time.perf_counter() - started)
        requests.labels(request.method, route, str(response.status_code)).inc()
        return response


def route_template(app: FastAPI, request: Request) -> str:
    route = matched_route(app, request.scope)
    return "unmatched" if route is None else str(route.path_format)

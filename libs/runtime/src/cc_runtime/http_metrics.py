"""HTTP request count and latency of a service, by route template (not raw path, to keep the
label set bounded), method and status.

A plain ASGI middleware rather than Starlette's `BaseHTTPMiddleware` (`@app.middleware("http")`),
which runs every request through a task group and memory streams of its own: measured on
telephony-ingest's webhook, that machinery was a large share of a request's time."""

import time
from typing import Any

from fastapi import FastAPI, Request
from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cc_runtime.routes import matched_route


class HttpMetrics:
    """Counts each HTTP request and observes its time, once its answer is sent (or failed: a
    request whose app raised is counted with status 500)."""

    def __init__(self, app: ASGIApp, service: FastAPI, requests: Any, latency: Any) -> None:
        self.app = app
        self.service = service
        self.requests = requests
        self.latency = latency

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            method = scope["method"]
            route = route_template(self.service, Request(scope))
            self.latency.labels(method, route).observe(time.perf_counter() - started)
            self.requests.labels(method, route, str(status)).inc()


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
    app.add_middleware(HttpMetrics, service=app, requests=requests, latency=latency)


def route_template(app: FastAPI, request: Request) -> str:
    route = matched_route(app, request.scope)
    return "unmatched" if route is None else str(route.path_format)

"""Shared runtime of the contact-centre services: settings, Kafka and MongoDB wiring, the
consumer policy, metrics and health. It never imports a service and holds no domain logic."""

from cc_runtime.cli import run_service
from cc_runtime.dead_letter import (
    DLQ_SUFFIX,
    HEADER_PREFIX,
    DeadLetterPolicy,
    DeadLetters,
    PermanentError,
    ReadAgainLater,
)
from cc_runtime.kafka import consumer_options, ensure_topics, make_broker
from cc_runtime.service import (
    Infrastructure,
    ServiceSpec,
    connect,
    create_http_app,
    readiness,
    serve,
)
from cc_runtime.settings import ServiceSettings

__all__ = [
    "DLQ_SUFFIX",
    "HEADER_PREFIX",
    "DeadLetterPolicy",
    "DeadLetters",
    "Infrastructure",
    "PermanentError",
    "ReadAgainLater",
    "ServiceSettings",
    "ServiceSpec",
    "connect",
    "consumer_options",
    "create_http_app",
    "ensure_topics",
    "make_broker",
    "readiness",
    "run_service",
    "serve",
]

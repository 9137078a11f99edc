"""Shared runtime of the contact-centre services: settings, Kafka and PostgreSQL wiring, the
consumer policy, metrics, health, and who may call each route (sign-in and roles). It never
imports a service and holds no domain logic."""

from cc_runtime.access import (
    PBX_HMAC,
    PUBLIC,
    SIGNED_LINK,
    Access,
    AccessTable,
    CurrentPrincipal,
    requires,
)
from cc_runtime.audit import AuditEntry, AuditTrail, PostgresAuditTrail, WriteBy
from cc_runtime.cli import run_service
from cc_runtime.dead_letter import (
    DLQ_SUFFIX,
    HEADER_PREFIX,
    DeadLetterPolicy,
    DeadLetters,
    PermanentError,
    ReadAgainLater,
)
from cc_runtime.identity import ADMIN, BACK_OFFICE, OPERATOR, PEOPLE, SUPERVISOR, Principal
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
from cc_runtime.tokens import TokenRejected, TokenVerifier

__all__ = [
    "ADMIN",
    "BACK_OFFICE",
    "DLQ_SUFFIX",
    "HEADER_PREFIX",
    "OPERATOR",
    "PBX_HMAC",
    "PEOPLE",
    "PUBLIC",
    "SIGNED_LINK",
    "SUPERVISOR",
    "Access",
    "AccessTable",
    "AuditEntry",
    "AuditTrail",
    "CurrentPrincipal",
    "DeadLetterPolicy",
    "DeadLetters",
    "Infrastructure",
    "PermanentError",
    "PostgresAuditTrail",
    "Principal",
    "ReadAgainLater",
    "ServiceSettings",
    "ServiceSpec",
    "TokenRejected",
    "TokenVerifier",
    "WriteBy",
    "connect",
    "consumer_options",
    "create_http_app",
    "ensure_topics",
    "make_broker",
    "readiness",
    "requires",
    "run_service",
    "serve",
]

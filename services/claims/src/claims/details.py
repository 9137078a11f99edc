"""What a claim is about: customer, order, product, channel, cluster, subject, description,
priority, CRM case, tags. Pure; the cluster is checked against the configured list."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from claims.domain import Priority, Ticket


class UnknownCluster(ValueError):
    """A cluster code the configuration does not list (HTTP 422)."""


@dataclass(frozen=True)
class Details:
    customer_id: str
    channel: str
    cluster: str
    subject: str
    description: str = ""
    priority: Priority = Priority.NORMAL
    order_id: str | None = None
    product_code: str | None = None
    case_id: str | None = None
    tags: tuple[str, ...] = field(default=())


def check_cluster(code: str, configured: tuple[str, ...]) -> str:
    if code not in configured:
        raise UnknownCluster(f"unknown cluster {code!r}; configured: {', '.join(configured)}")
    return code


PRIORITY_RANK = {Priority.LOW: 0, Priority.NORMAL: 1, Priority.HIGH: 2, Priority.URGENT: 3}


@dataclass(frozen=True)
class SlaState:
    policy: str
    due_at: datetime | None  # the nearest deadline not met: queues list the nearest first
    check_at: datetime | None  # when the SLA watcher must look again


@dataclass(frozen=True)
class Stored:
    """A ticket as kept: what the claim is about, its state and chain, and its SLA."""

    details: Details
    ticket: Ticket
    sla: SlaState | None = None

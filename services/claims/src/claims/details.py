"""What a claim is about: customer, order, product, channel, cluster, subject, description,
priority, CRM case, tags. Pure; the cluster is checked against the configured list."""

from __future__ import annotations

from dataclasses import dataclass, field

from claims.domain import Priority


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

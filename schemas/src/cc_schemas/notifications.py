"""Messages the platform asks the e-mail / SMS channel to send a customer, key `customer_id`:
`customer.notification_requested` on `customer-notifications` (written by claims)."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import Field

from cc_schemas.envelope import Event, Id, UtcDatetime


class NotificationKind(StrEnum):
    CLAIM_RECEIVED = "claim_received"
    WAITING_FOR_YOU = "waiting_for_you"  # a question the customer should answer
    DECISION = "decision"
    SHIPPED = "shipped"
    CLOSED = "closed"


class CustomerNotificationRequested(Event):
    """Tell the customer something changed; the channel picks e-mail or SMS by their
    consents and writes the words in their language."""

    event_type: Literal["customer.notification_requested"] = "customer.notification_requested"
    notification_id: Id
    customer_id: Id
    kind: NotificationKind
    ticket_id: str | None = None
    message: str | None = Field(
        default=None, description="What to say besides the kind: the question asked, the outcome."
    )
    link: str | None = Field(
        default=None, description="The customer's page for it (a signed link that expires)."
    )
    link_expires_at: UtcDatetime | None = None

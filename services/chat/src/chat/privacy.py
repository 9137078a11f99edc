"""Personal data in chat: a customer erased (`customer.erased` from crm) is forgotten, and the
text customers and operators wrote is kept no longer than the retention period.

- Erasure: the customer's chats and contact requests keep their figures under a random
  pseudonym; every message of those chats reads "[erased]", CSAT comments and shop sessions
  go, files are deleted (their content too when no other chat holds it). Done in one
  transaction; a redelivered event finds nothing left to erase.
- Retention: messages (and their files) older than `CHAT_MESSAGE_RETENTION_DAYS` are deleted by
  a periodic round; `chat-events` is given the same `retention.ms` on the broker. Rate-limit
  buckets (client addresses) idle long enough to be full again go in the same round."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from cc_attachments import BlobStore
from cc_schemas import CustomerErased, Event

log = logging.getLogger(__name__)


class Forgetting(Protocol):
    async def erase_customer(self, customer_id: str, pseudonym: str) -> tuple[int, list[str]]: ...

    async def purge_messages(self, before: datetime, batch: int) -> tuple[int, list[str]]: ...

    async def forget_idle(self, before: datetime) -> int: ...


@dataclass(frozen=True)
class Privacy:
    store: Forgetting
    blobs: BlobStore
    retention: timedelta  # how long message text is kept
    idle_buckets: timedelta  # a rate-limit bucket untouched this long is full again


def new_pseudonym() -> str:
    """Random, so nothing leads back to the customer (a hash of their id would, for anyone
    holding crm's ids); one per erasure, so their chats still count together."""
    return f"erased-{uuid.uuid4().hex}"


async def record_customer_event(privacy: Privacy, event: Event) -> int:
    """customer.erased: forget the customer; registrations and updates are crm's, not ours.
    The number of chats erased."""
    if not isinstance(event, CustomerErased):
        return 0
    chats, orphans = await privacy.store.erase_customer(event.customer_id, new_pseudonym())
    await _delete(privacy.blobs, orphans)
    if chats:
        log.info("customer erased from chats", extra={"chats": chats})
    return chats


async def purge_round(privacy: Privacy, now: datetime, batch: int = 1000) -> int:
    """Delete the messages older than the retention period, a batch per transaction until
    none is left; forget idle rate-limit buckets. The number of messages deleted."""
    total = 0
    while True:
        deleted, orphans = await privacy.store.purge_messages(now - privacy.retention, batch)
        await _delete(privacy.blobs, orphans)
        total += deleted
        if deleted < batch:
            break
    await privacy.store.forget_idle(now - privacy.idle_buckets)
    if total:
        log.info("chat messages past retention deleted", extra={"messages": total})
    return total


async def _delete(blobs: BlobStore, orphans: list[str]) -> None:
    for sha256 in orphans:  # after the commit: a crash leaves an unreferenced blob, no more
        await blobs.delete(sha256)

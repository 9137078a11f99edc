"""crm's use cases: store a customer record from customer-events, import customers from CSV.
They talk to the repository through its Protocol and do no other I/O."""

from __future__ import annotations

import codecs
import logging
from collections.abc import AsyncIterable
from dataclasses import dataclass, field
from datetime import datetime

from cc_runtime import PermanentError
from cc_schemas import AnyCustomerEvent, CustomerErased
from crm.customer_csv import BadHeader, Header, Record, RecordSplitter, Rejected, map_row
from crm.customers import Customer, from_profile
from crm.repository import CustomerRepository

log = logging.getLogger(__name__)
NOT_UTF8 = "\ufffd"


async def record_customer_event(
    event: AnyCustomerEvent, repository: CustomerRepository, region: str
) -> bool:
    """Store the record an event carries, once; False when it was stored before."""
    if isinstance(event, CustomerErased):
        # Dead-lettered with this reason rather than acknowledged and forgotten: a request to
        # erase must not be lost before crm honours it (replay the DLQ once it does).
        raise PermanentError("customer.erased is not honoured by crm yet")
    customer = from_profile(event, region)
    if customer.problems:
        log.warning(
            "customer record with unusable contact points",
            extra={"customer_id": customer.customer_id, "problems": list(customer.problems)},
        )
    return await repository.apply(event.event_id, customer)


@dataclass
class ImportReport:
    lines: int = 0  # physical lines read, the header included
    rows: int = 0
    imported: int = 0
    rejected: int = 0
    rejections: list[Rejected] = field(default_factory=list)
    possible_duplicates: int = 0
    duplicate_examples: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class ImportLimits:
    batch_rows: int = 1000
    rejections_listed: int = 1000
    duplicate_examples: int = 100


class CustomerImport:
    """One CSV import: feed it text, it stores customers batch by batch and keeps the report.
    A row that does not parse is rejected with its line number; the import goes on."""

    def __init__(
        self,
        repository: CustomerRepository,
        region: str,
        imported_at: datetime,
        limits: ImportLimits,
    ) -> None:
        self.repository, self.region, self.imported_at = repository, region, imported_at
        self.limits = limits
        self.report = ImportReport()
        self._splitter = RecordSplitter()
        self._header: Header | None = None
        self._batch: list[Customer] = []

    async def feed(self, text: str) -> None:
        for record in self._splitter.feed(text):
            await self._take(record)

    async def finish(self) -> ImportReport:
        for record in self._splitter.end():
            await self._take(record)
        if self._header is None:
            raise BadHeader("the file is empty: it needs a header line naming its columns")
        await self._flush()
        self.report.lines = self._splitter.lines_read
        return self.report

    async def _take(self, record: Record) -> None:
        if self._header is None:
            self._header = Header.parse(record)
            return
        self.report.rows += 1
        outcome = (
            Rejected(record.line, "not UTF-8 text")
            if any(NOT_UTF8 in f for f in record.fields)
            else map_row(self._header, record, self.region, self.imported_at)
        )
        if isinstance(outcome, Rejected):
            self._reject(outcome)
            return
        self._batch.append(outcome)
        if len(self._batch) >= self.limits.batch_rows:
            await self._flush()

    def _reject(self, rejected: Rejected) -> None:
        self.report.rejected += 1
        if len(self.report.rejections) < self.limits.rejections_listed:
            self.report.rejections.append(rejected)

    async def _flush(self) -> None:
        if not self._batch:
            return
        batch, self._batch = self._batch, []
        self.report.imported += await self.repository.upsert(batch)
        duplicates = await self.repository.duplicates_of([c.customer_id for c in batch])
        self.report.possible_duplicates += len(duplicates)
        room = self.limits.duplicate_examples - len(self.report.duplicate_examples)
        for customer_id, others in list(duplicates.items())[: max(room, 0)]:
            self.report.duplicate_examples[customer_id] = others


async def import_csv(
    chunks: AsyncIterable[bytes],
    repository: CustomerRepository,
    region: str,
    imported_at: datetime,
    limits: ImportLimits,
) -> ImportReport:
    """Import a CSV arriving in byte chunks (UTF-8, a BOM allowed)."""
    work = CustomerImport(repository, region, imported_at, limits)
    decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="replace")
    async for chunk in chunks:
        await work.feed(decoder.decode(chunk))
    await work.feed(decoder.decode(b"", final=True))
    return await work.finish()

"""The import use case with an in-memory repository: batches, the report, UTF-8 and the BOM."""

from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime

import pytest

from crm.customer_csv import BadHeader
from crm.customers import Customer
from crm.handlers import ImportLimits, import_csv

AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


class InMemoryCustomers:
    def __init__(self) -> None:
        self.batches: list[list[str]] = []

    async def apply(self, event_id: str, customer: Customer) -> bool:
        raise AssertionError("an import stores batches")

    async def upsert(self, customers: Sequence[Customer]) -> int:
        self.batches.append([c.customer_id for c in customers])
        return len(customers)

    async def duplicates_of(self, customer_ids: Sequence[str]) -> dict[str, list[str]]:
        return {"C-1": ["C-9"]} if "C-1" in customer_ids else {}


async def chunks(data: bytes, size: int) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def test_rows_are_stored_in_batches_and_the_report_lists_the_first_rejections() -> None:
    data = (
        "\ufeffcustomer_id,phones\n"  # a BOM, as spreadsheets write it
        "C-1,02 1234 5678\nC-2,bad\nC-3,\nC-4,nope\nC-5,\n"
    ).encode()
    customers = InMemoryCustomers()

    report = await import_csv(chunks(data, 5), customers, "IT", AT, ImportLimits(2, 1, 100))

    assert customers.batches == [["C-1", "C-3"], ["C-5"]]
    assert (report.lines, report.rows, report.imported, report.rejected) == (6, 5, 3, 2)
    assert [r.line for r in report.rejections] == [3]  # one listed, both counted
    assert (report.possible_duplicates, report.duplicate_examples) == (1, {"C-1": ["C-9"]})


async def test_a_row_that_is_not_utf8_is_rejected_and_the_import_goes_on() -> None:
    data = b"customer_id,first_name\nC-1,Ren\xe9\nC-2,Ren\xc3\xa9\n"
    customers = InMemoryCustomers()

    report = await import_csv(chunks(data, 7), customers, "IT", AT, ImportLimits())

    assert customers.batches == [["C-2"]]
    assert [(r.line, r.reason) for r in report.rejections] == [(2, "not UTF-8 text")]


async def test_an_empty_file_is_refused_for_want_of_a_header() -> None:
    with pytest.raises(BadHeader, match="the file is empty"):
        await import_csv(chunks(b"", 1), InMemoryCustomers(), "IT", AT, ImportLimits())

"""The customer CSV of a bulk import: records split from a stream of text as it arrives (a
quoted field may span lines), each row mapped to a customer or rejected with its line number and
the reason. Pure: no I/O.

Columns (a header line names them, in any order; unknown columns are ignored):
`customer_id` (required), `first_name`, `last_name`, `phones`, `emails`, `social_handles`
(`network:handle`), `language`, `loyalty_tier`, `opt_outs`, `consents` (`purpose:yes|no`),
`address_line1`, `postcode`, `city`, `country`. Several values in one cell are separated by `|`.
Lines end with `\n` or `\r\n` (a lone `\r`, old Macs', is not a line end).
A row is imported whole or rejected whole: an invalid phone or e-mail rejects it, so that the
report names every value to fix.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from pydantic import ValidationError

from cc_schemas import CustomerRegistered, make_event_id
from crm.customers import Customer, from_profile

SOURCE = "crm-csv-import"
COLUMNS = (
    "customer_id",
    "first_name",
    "last_name",
    "phones",
    "emails",
    "social_handles",
    "language",
    "loyalty_tier",
    "opt_outs",
    "consents",
    "address_line1",
    "postcode",
    "city",
    "country",
)
REQUIRED = ("customer_id",)
SEPARATOR = "|"
YES = {"yes", "y", "true", "1"}
NO = {"no", "n", "false", "0"}


class BadHeader(ValueError):
    """The first line does not name the columns an import needs; nothing is imported."""


@dataclass(frozen=True)
class Record:
    line: int  # the physical line the record starts on, 1-based (the header is line 1)
    fields: list[str]
    error: str | None = None


@dataclass(frozen=True)
class Rejected:
    line: int
    reason: str


class RecordSplitter:
    """Splits text fed in pieces into CSV records. A record ends at a line end outside quotes;
    CSV's quotes are doubled inside a quoted field, so an even count of `"` means outside."""

    def __init__(self) -> None:
        self._tail = ""  # text after the last line end
        self._pending: list[str] = []  # lines of a record whose quote is still open
        self._quotes = 0
        self._line = 1  # the next physical line's number
        self._start = 1

    def feed(self, text: str) -> Iterator[Record]:
        # Only "\n" ends a line ("\r\n" too); str.splitlines would also split on \x1e, \u2028 ...
        lines = (self._tail + text).split("\n")
        self._tail = lines.pop()
        lines = [line + "\n" for line in lines]
        for line in lines:
            yield from self._take(line)

    @property
    def lines_read(self) -> int:
        return self._line - 1

    def end(self) -> Iterator[Record]:
        if self._tail:
            yield from self._take(self._tail)
            self._tail = ""
        if self._pending:  # an unclosed quote: csv reads it to the end, as it would
            yield self._record()

    def _take(self, line: str) -> Iterator[Record]:
        if not self._pending:
            self._start = self._line
        self._pending.append(line)
        self._quotes += line.count('"')
        self._line += 1
        if self._quotes % 2 == 0:
            yield self._record()

    def _record(self) -> Record:
        text = "".join(self._pending)
        self._pending, self._quotes = [], 0
        try:  # csv.reader takes one record's text whole
            return Record(self._start, next(csv.reader(io.StringIO(text, newline="")), []))
        except csv.Error as error:  # a lone "\r" inside an unquoted field, say
            return Record(self._start, [], error=f"not CSV: {error}")


@dataclass(frozen=True)
class Header:
    positions: dict[str, int]

    @classmethod
    def parse(cls, record: Record) -> Header:
        names = [name.strip().lower().lstrip("\ufeff") for name in record.fields]
        missing = [name for name in REQUIRED if name not in names]
        if missing:
            raise BadHeader(
                f"line {record.line}: the header must name the column(s) {missing}; "
                f"it names {names}"
            )
        return cls({name: i for i, name in enumerate(names) if name in COLUMNS})

    def cells(self, record: Record) -> dict[str, str]:
        return {
            name: record.fields[i].strip()
            for name, i in self.positions.items()
            if i < len(record.fields)
        }


def map_row(
    header: Header, record: Record, region: str, imported_at: datetime
) -> Customer | Rejected:
    """One row: the customer it describes, or why it is rejected."""
    if record.error:
        return Rejected(record.line, record.error)
    if record.fields == [] or all(not f.strip() for f in record.fields):
        return Rejected(record.line, "empty line")
    cells = header.cells(record)
    try:
        profile = _profile(cells, record.line, imported_at)
    except ValidationError as error:
        return Rejected(record.line, _reason(error))
    except ValueError as error:
        return Rejected(record.line, str(error))
    customer = from_profile(profile, region)
    if customer.problems:
        return Rejected(record.line, "; ".join(customer.problems))
    return customer


def _profile(cells: dict[str, str], line: int, imported_at: datetime) -> CustomerRegistered:
    customer_id = cells.get("customer_id", "")
    if not customer_id:
        raise ValueError("customer_id is empty")
    address = _address(cells)
    return CustomerRegistered(
        event_id=make_event_id(SOURCE, customer_id, imported_at.isoformat(), line),
        occurred_at=imported_at,
        source=SOURCE,
        customer_id=customer_id,
        first_name=cells.get("first_name") or None,
        last_name=cells.get("last_name") or None,
        phones=_many(cells.get("phones")),
        emails=_many(cells.get("emails")),
        social_handles=tuple(_pair(v, "social handle") for v in _many(cells.get("social_handles"))),
        language=cells.get("language") or None,
        loyalty_tier=(cells.get("loyalty_tier") or "none").lower(),
        opt_outs=_many(cells.get("opt_outs")),
        consents=tuple(_consent(v) for v in _many(cells.get("consents"))),
        addresses=(address,) if address else (),
    )


def _many(cell: str | None) -> tuple[str, ...]:
    return tuple(v.strip() for v in (cell or "").split(SEPARATOR) if v.strip())


def _pair(value: str, what: str) -> dict[str, str]:
    network, colon, handle = value.partition(":")
    if not colon or not network.strip() or not handle.strip():
        raise ValueError(f"{what} {value!r} is not written network:handle")
    return {"network": network.strip().lower(), "handle": handle.strip()}


def _consent(value: str) -> dict[str, object]:
    purpose, colon, answer = value.partition(":")
    answer = answer.strip().lower()
    if not colon or not purpose.strip() or answer not in YES | NO:
        raise ValueError(f"consent {value!r} is not written purpose:yes or purpose:no")
    return {"purpose": purpose.strip(), "granted": answer in YES}


def _address(cells: dict[str, str]) -> dict[str, str] | None:
    parts = {k: cells.get(k, "") for k in ("address_line1", "postcode", "city", "country")}
    if not any(parts.values()):
        return None
    return {
        "line1": parts["address_line1"],
        "postcode": parts["postcode"],
        "city": parts["city"],
        "country": parts["country"].upper(),
    }


def _reason(error: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors(include_url=False)
    )

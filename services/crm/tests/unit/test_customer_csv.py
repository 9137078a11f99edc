"""The customer CSV: records split from any chunking of the text are csv's records with their
line numbers; each row is a customer or rejected with its line and reason."""

import csv
import io
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm.customer_csv import BadHeader, Header, Record, RecordSplitter, Rejected, map_row
from crm.customers import Customer

AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
HEADER = Header.parse(
    Record(1, ["customer_id", "first_name", "phones", "emails", "loyalty_tier", "country"])
)

cells = st.text(alphabet=st.characters(exclude_categories=["Cs"]))
tables = st.lists(st.lists(cells, min_size=1, max_size=4), min_size=1, max_size=6)


def written(rows: list[list[str]]) -> str:
    """CSV as writers make it. Python's leaves a lone "\r" unquoted, which csv then reads as a
    line end (old Macs'); the import's lines end with "\n" only, so such cells are quoted."""
    out = io.StringIO()
    for row in rows:
        quoting = csv.QUOTE_ALL if any("\r" in cell for cell in row) else csv.QUOTE_MINIMAL
        csv.writer(out, lineterminator="\n", quoting=quoting).writerow(row)
    return out.getvalue()


def split(text: str, cuts: list[int]) -> list[Record]:
    splitter = RecordSplitter()
    records, start = [], 0
    for cut in [*sorted(set(cuts)), len(text)]:
        records.extend(splitter.feed(text[start:cut]))
        start = max(start, cut)
    return [*records, *splitter.end()]


@given(tables, st.lists(st.integers(0, 400), max_size=8))
def test_any_chunking_gives_csvs_records(rows: list[list[str]], cuts: list[int]) -> None:
    text = written(rows)
    expected = list(csv.reader(io.StringIO(text, newline="")))

    assert [r.fields for r in split(text, cuts)] == expected


@given(tables)
def test_a_record_starts_on_the_line_counted_from_the_top(rows: list[list[str]]) -> None:
    text = written(rows)
    records = split(text, [])

    starts = [1]
    for record in records[:-1]:
        starts.append(starts[-1] + written([record.fields]).count("\n"))
    assert [r.line for r in records] == starts


def test_a_header_without_customer_id_refuses_the_file() -> None:
    with pytest.raises(BadHeader, match=r"line 1: the header must name the column\(s\)"):
        Header.parse(Record(1, ["name", "phone"]))


def row(line: int, *fields: str) -> Customer | Rejected:
    return map_row(HEADER, Record(line, list(fields)), "IT", AT)


def test_a_good_row_is_a_customer_with_normalised_phones_and_emails() -> None:
    customer = row(2, "C-1", "Anna", "02 1234 5678|347 123 4567", "Anna@Example.IT", "gold", "")

    assert isinstance(customer, Customer)
    assert [p.e164 for _, p in customer.phones] == ["+390212345678", "+393471234567"]
    assert customer.emails == (("Anna@Example.IT", "anna@example.it"),)
    assert (customer.loyalty_tier, customer.updated_at) == ("gold", AT)


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        (("", "Anna", "", "", "", ""), "customer_id is empty"),
        (("C-1", "Anna", "12ab", "", "", ""), "phone '12ab' is not a number"),
        (("C-1", "Anna", "", "anna.example.it", "", ""), "e-mail 'anna.example.it' has no local"),
        (("C-1", "Anna", "", "", "diamond", ""), "loyalty_tier: Input should be 'none'"),
        (("C-1",), None),
        (("", "", "", ""), "empty line"),
    ],
)
def test_a_bad_row_is_rejected_with_its_line_and_reason(
    fields: tuple[str, ...], reason: str | None
) -> None:
    outcome = row(7, *fields)

    if reason is None:  # a short row is fine: the missing cells are empty
        assert isinstance(outcome, Customer)
    else:
        assert isinstance(outcome, Rejected)
        assert outcome.line == 7
        assert reason in outcome.reason

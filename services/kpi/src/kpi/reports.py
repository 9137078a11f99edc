"""Call reports: the store's sums of hour buckets per group, with the derived KPIs, as rows for
JSON or CSV, and what every report says of its period and data (no I/O)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from typing import Any

from kpi.calls import Measures
from kpi.periods import PERIOD_KEYS
from kpi.repository import CallGroup, EventCount

CALL_GROUPS = ("queue", "agent", *PERIOD_KEYS)

Row = dict[str, Any]


@dataclass(frozen=True)
class ReportQuery:
    """Local calendar days [start, end), grouped by some of `groups` (none: one total row)."""

    start: date
    end: date
    group_by: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError("the period's end must be after its start")

    def check(self, allowed: tuple[str, ...]) -> None:
        """Refuse groupings this report does not have."""
        unknown = [g for g in self.group_by if g not in allowed]
        if unknown:
            raise ValueError(f"unknown grouping {unknown}; known: {list(allowed)}")


def ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def seconds(total_ms: int, count: int) -> float | None:
    return total_ms / count / 1000 if count else None


@dataclass(frozen=True)
class Longest:
    """The longest waits of a group of calls, in ms: overall and of answered calls."""

    overall_ms: int | None = None
    answered_ms: int | None = None

    def overall_seconds(self) -> float | None:
        return None if self.overall_ms is None else self.overall_ms / 1000

    def answered_seconds(self) -> float | None:
        return None if self.answered_ms is None else self.answered_ms / 1000


def derived(m: Measures, longest: Longest) -> Row:
    """The KPIs as the industry defines them (see the README), from the additive measures."""
    completed = m.answered + m.abandoned + m.exited
    return {
        "lost": m.abandoned + m.exited,
        "service_level": ratio(m.answered_in_sl, completed),
        "abandon_rate": ratio(m.abandoned, m.offered - m.short_abandoned),
        "average_speed_of_answer_seconds": seconds(m.answer_wait_ms, m.answered),
        "average_wait_seconds": seconds(m.wait_ms, m.waited),
        "longest_wait_seconds": longest.overall_seconds(),
        "average_talk_seconds": seconds(m.talk_ms, m.handled),
        "average_handling_seconds": seconds(m.talk_ms + m.hold_ms + m.wrapup_ms, m.handled),
    }


def added(m: Measures, longest: Longest) -> Row:
    """Measures added after the first release, last in a row so that CSV columns keep their
    places: the waits of abandoned calls (short abandons left out, as from the abandon rate)
    and the longest wait of answered calls."""
    return {
        "abandoned_wait_ms": m.abandoned_wait_ms,
        "average_wait_abandoned_seconds": seconds(m.abandoned_wait_ms, m.abandoned),
        "longest_wait_answered_seconds": longest.answered_seconds(),
    }


def call_row(group: Row, m: Measures, longest: Longest) -> Row:
    """A report row: its group's values, the additive measures, then the KPIs."""
    measures = asdict(m)
    del measures["abandoned_wait_ms"]  # placed by `added`
    return {**group, **measures, **derived(m, longest), **added(m, longest)}


def call_report(groups: Iterable[CallGroup], query: ReportQuery) -> list[Row]:
    """One row per group, sorted by the group values; one row of zeros for an ungrouped
    report of a period without calls."""
    query.check(CALL_GROUPS)
    found = {g.key: g for g in groups}
    if not query.group_by and not found:
        found[()] = CallGroup((), Measures(), None, None)
    return [
        call_row(
            dict(zip(query.group_by, key, strict=True)),
            found[key].measures,
            Longest(found[key].longest_wait_ms, found[key].longest_answered_wait_ms),
        )
        for key in sorted(found)
    ]


@dataclass(frozen=True)
class Span:
    """Where stored events lie in event time (None when there are none)."""

    first_event_at: datetime | None
    last_event_at: datetime | None


def span_of(counts: Iterable[EventCount], topics: Iterable[str]) -> Span:
    """The earliest and latest event times stored on any of these topics."""
    wanted = set(topics)
    mine = [c for c in counts if c.topic in wanted]
    if not mine:
        return Span(None, None)
    return Span(min(c.first_event_at for c in mine), max(c.last_event_at for c in mine))


def coverage(query: ReportQuery, span: Span) -> Row:
    """What a report covers and where its data lies: the local days asked for ([from, to), the
    query's own) and the event times of the first and last stored event it reads, so that a
    report of a period without data shows at once where the data is."""
    return {
        "period_from": query.start.isoformat(),
        "period_to": query.end.isoformat(),
        "data_first_event_at": _instant(span.first_event_at),
        "data_last_event_at": _instant(span.last_event_at),
    }


def _instant(at: datetime | None) -> str | None:
    return None if at is None else at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def to_csv(rows: Sequence[Mapping[str, Any]]) -> str:
    """Rows as CSV with a header line (empty cells for missing values)."""
    if not rows:
        return ""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: ("" if v is None else v) for k, v in row.items()} for row in rows)
    return out.getvalue()

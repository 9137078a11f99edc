"""Call reports: hour buckets rolled up over any period and grouping, with the derived KPIs, as
rows for JSON or CSV (no I/O)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from kpi.calls import Measures
from kpi.periods import PERIOD_KEYS, in_period, period_key
from kpi.projection import Bucket, CallProjection

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


def group_value(groups: Sequence[str], hour: datetime, queue: str, agent: str) -> tuple[Any, ...]:
    fixed = {"queue": queue, "agent": agent}
    return tuple(fixed[g] if g in fixed else period_key(hour, g) for g in groups)


def ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def seconds(total_ms: int, count: int) -> float | None:
    return total_ms / count / 1000 if count else None


def derived(m: Measures, longest_ms: int | None) -> Row:
    """The KPIs as the industry defines them (see the README), from the additive measures."""
    completed = m.answered + m.abandoned + m.exited
    return {
        "lost": m.abandoned + m.exited,
        "service_level": ratio(m.answered_in_sl, completed),
        "abandon_rate": ratio(m.abandoned, m.offered - m.short_abandoned),
        "average_speed_of_answer_seconds": seconds(m.answer_wait_ms, m.answered),
        "average_wait_seconds": seconds(m.wait_ms, m.waited),
        "longest_wait_seconds": None if longest_ms is None else longest_ms / 1000,
        "average_talk_seconds": seconds(m.talk_ms, m.handled),
        "average_handling_seconds": seconds(m.talk_ms + m.hold_ms + m.wrapup_ms, m.handled),
    }


def call_report(projection: CallProjection, query: ReportQuery) -> list[Row]:
    """One row per group, sorted by the group values."""
    query.check(CALL_GROUPS)
    return rows_from_buckets(projection.buckets.items(), query)


def rows_from_buckets(
    buckets: Iterable[tuple[tuple[datetime, str, str], Bucket]], query: ReportQuery
) -> list[Row]:
    totals: dict[tuple[Any, ...], Measures] = {}
    longest: dict[tuple[Any, ...], int | None] = {}
    for (hour, queue, agent), bucket in buckets:
        if not in_period(hour, query.start, query.end):
            continue
        key = group_value(query.group_by, hour, queue, agent)
        totals.setdefault(key, Measures()).add(bucket.measures)
        bucket_longest = bucket.longest_wait_ms()
        current = longest.get(key)
        if bucket_longest is not None and (current is None or bucket_longest > current):
            longest[key] = bucket_longest
    if not query.group_by and not totals:
        totals[()] = Measures()
    return [
        {
            **dict(zip(query.group_by, key, strict=True)),
            **asdict(totals[key]),
            **derived(totals[key], longest.get(key)),
        }
        for key in sorted(totals)
    ]


def to_csv(rows: Sequence[Mapping[str, Any]]) -> str:
    """Rows as CSV with a header line (empty cells for missing values)."""
    if not rows:
        return ""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: ("" if v is None else v) for k, v in row.items()} for row in rows)
    return out.getvalue()

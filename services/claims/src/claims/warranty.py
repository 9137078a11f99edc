"""Warranty, as the contact centre works it: the purchase date comes from the order (delivery,
where known, else the order), never from the customer's word, and is checked against the
warranty period; before a defect is accepted the operator walks the product's checklist of
known user errors and misuse, and the outcome records which check decided. Pure.

Checklists live in `checklists.toml`: a `[default]` list, and lists per product-code prefix
(the longest matching prefix wins), each check an id and the question the operator asks."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path

from dateutil.relativedelta import relativedelta

DEFAULT_CHECKLISTS = Path(__file__).with_name("checklists.toml")


@dataclass(frozen=True)
class Purchase:
    order_id: str
    customer_id: str | None
    placed_on: date
    delivered_on: date | None
    product_codes: tuple[str, ...]

    @property
    def warranty_from(self) -> date:
        """The consumer guarantee runs from delivery; the order date when delivery is unknown."""
        return self.delivered_on or self.placed_on


@dataclass(frozen=True)
class Cover:
    """Whether the purchase is still under warranty on `on`, and until when."""

    covered: bool
    since: date
    until: date  # the last day covered
    reason: str


def cover(purchase: Purchase, months: int, on: date) -> Cover:
    """Covered up to the day before the anniversary (`months` later; a start the last month
    lacks, 29 February, has its anniversary on that month's last day)."""
    since = purchase.warranty_from
    until = since + relativedelta(months=months) - relativedelta(days=1)
    span = f"{months} months from {since.isoformat()}"
    if on <= until:
        return Cover(True, since, until, f"under warranty until {until.isoformat()} ({span})")
    return Cover(False, since, until, f"warranty ended on {until.isoformat()} ({span})")


@dataclass(frozen=True)
class Check:
    check_id: str
    question: str
    kind: str  # user_error or misuse: what a failed check means


class Answer(StrEnum):
    FINE = "fine"  # the check does not explain the fault
    FAILED = "failed"  # it does: a user error or misuse, not a defect


class Verdict(StrEnum):
    DEFECT = "defect"  # every check fine: the fault is the product's
    USER_ERROR = "user_error"  # instructions, no fault found
    MISUSE = "misuse"  # refused


class IncompleteChecklist(ValueError):
    """Answers missing for some checks, or given for checks not on the list (HTTP 422)."""


@dataclass(frozen=True)
class CheckResult:
    verdict: Verdict
    decided_by: str | None  # the check that explained the fault; None for a defect
    answers: Mapping[str, Answer]

    def summary(self) -> str:
        if self.decided_by is None:
            return "defect: every check of the checklist passed"
        return f"{self.verdict.value}: {self.decided_by}"


def walk(checklist: tuple[Check, ...], answers: Mapping[str, Answer]) -> CheckResult:
    """The outcome of a walked checklist: the first failed check, in the list's order,
    decides; a misuse anywhere outweighs a user error."""
    ids = [c.check_id for c in checklist]
    missing = [i for i in ids if i not in answers]
    unknown = sorted(set(answers) - set(ids))
    if missing or unknown:
        raise IncompleteChecklist(
            f"answer every check of the checklist: missing {missing}, not on it {unknown}"
        )
    failed = [c for c in checklist if answers[c.check_id] is Answer.FAILED]
    misuse = next((c for c in failed if c.kind == "misuse"), None)
    decisive = misuse or (failed[0] if failed else None)
    if decisive is None:
        return CheckResult(Verdict.DEFECT, None, dict(answers))
    verdict = Verdict.MISUSE if decisive.kind == "misuse" else Verdict.USER_ERROR
    return CheckResult(verdict, decisive.check_id, dict(answers))


@dataclass(frozen=True)
class Checklists:
    default: tuple[Check, ...]
    by_prefix: Mapping[str, tuple[Check, ...]]

    def for_product(self, product_code: str | None) -> tuple[Check, ...]:
        code = product_code or ""
        prefixes = sorted((p for p in self.by_prefix if code.startswith(p)), key=len)
        return self.by_prefix[prefixes[-1]] + self.default if prefixes else self.default


def load_checklists(path: Path = DEFAULT_CHECKLISTS) -> Checklists:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return Checklists(
        default=_checks(data.get("default", [])),
        by_prefix={prefix: _checks(items) for prefix, items in data.get("product", {}).items()},
    )


def _checks(items: list[dict[str, str]]) -> tuple[Check, ...]:
    checks = tuple(Check(i["id"], i["question"], i.get("kind", "user_error")) for i in items)
    bad = [c.check_id for c in checks if c.kind not in ("user_error", "misuse")]
    if bad:
        raise ValueError(f"checks {bad}: kind must be user_error or misuse")
    return checks

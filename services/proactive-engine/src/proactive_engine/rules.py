"""The situations the engine detects, one small class each; no I/O.

A rule answers two questions about a session: when will it next be due (`next_deadline`), and
is it due now (`evaluate`). Adding a rule means writing one class here, decorated with
`@register`, and giving it a block `[rules.<name>]` in the rules file; the engine is untouched.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar, Generic, NamedTuple, Protocol, TypeVar

from pydantic import Field

from cc_schemas import ContactPriority
from proactive_engine.config import EngineConfig, RuleConfig
from proactive_engine.session import PageKind, SessionState, Stamp


class Due(NamedTuple):
    """A rule's deadline for one episode (one cart, one order...) of a session. A named tuple:
    rules build them for every changed session."""

    at: datetime
    episode: str = ""


NOTHING_DUE: tuple[Due, ...] = ()


@dataclass(frozen=True)
class Decision:
    """A rule fired: what the operator should be asked, and why."""

    rule: str
    episode: str
    deadline: datetime
    reason: str
    priority: ContactPriority
    expires: timedelta
    suppressed_by_order: bool = True
    order_id: str | None = None
    details: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return fired_key(self.rule, self.episode)


def fired_key(rule: str, episode: str) -> str:
    return f"{rule}|{episode}"


class Rule(Protocol):
    name: ClassVar[str]

    def next_deadline(self, state: SessionState) -> datetime | None: ...

    def evaluate(self, state: SessionState, now: datetime) -> Decision | None: ...


C = TypeVar("C", bound=RuleConfig)


class BaseRule(Generic[C]):
    """Shared plumbing: a rule lists its due episodes and describes a firing."""

    name: ClassVar[str]
    config_model: ClassVar[type[RuleConfig]]
    suppressed_by_order: ClassVar[bool] = True

    def __init__(self, config: C) -> None:
        self.config = config

    def episodes(self, state: SessionState) -> Sequence[Due]:
        """The session's episodes this rule would fire, decided or not, each with its deadline
        (`NOTHING_DUE` when none: asked for every changed session of every batch)."""
        raise NotImplementedError

    def describe(self, state: SessionState, due: Due) -> tuple[str, dict[str, str]]:
        raise NotImplementedError

    def _open(self, state: SessionState) -> Sequence[Due]:
        """The episodes not decided yet."""
        episodes = self.episodes(state)
        if not episodes or not state.fired:
            return episodes
        return [d for d in episodes if fired_key(self.name, d.episode) not in state.fired]

    def next_deadline(self, state: SessionState) -> datetime | None:
        # Asked after each event folded: the usual answers (no episode, or one not decided
        # yet) without a generator or a second call, which cost more than the rule itself.
        episodes = self.episodes(state)
        if not episodes:
            return None
        if state.fired:
            episodes = [d for d in episodes if fired_key(self.name, d.episode) not in state.fired]
            if not episodes:
                return None
        return episodes[0].at if len(episodes) == 1 else min(d.at for d in episodes)

    def evaluate(self, state: SessionState, now: datetime) -> Decision | None:
        due = [d for d in self._open(state) if d.at <= now]
        if not due:
            return None
        first = min(due, key=lambda d: d.at)
        reason, details = self.describe(state, first)
        return Decision(
            rule=self.name,
            episode=first.episode,
            deadline=first.at,
            reason=reason,
            priority=self.config.priority,
            expires=self.config.expires,
            suppressed_by_order=self.suppressed_by_order,
            order_id=details.get("order_id"),
            details=details,
        )


RULES: dict[str, type[BaseRule[Any]]] = {}

R = TypeVar("R", bound=type[BaseRule[Any]])


def register(cls: R) -> R:
    RULES[cls.name] = cls
    return cls


def build_rules(config: EngineConfig) -> list[Rule]:
    """One instance per enabled rule of the file; an unknown rule name is an error."""
    unknown = sorted(set(config.rules) - set(RULES))
    if unknown:
        raise ValueError(f"unknown rules in the configuration: {unknown}; known: {sorted(RULES)}")
    built: list[Rule] = []
    for name, block in config.rules.items():
        rule_config = RULES[name].config_model.model_validate(block)
        if rule_config.enabled:
            built.append(RULES[name](rule_config))
    return built


def minutes(value: float) -> timedelta:
    return timedelta(minutes=value)


def dwell_crossing(
    state: SessionState, kind: PageKind, max_gap: timedelta, threshold: timedelta
) -> datetime | None:
    """When the time spent on pages of one kind first reaches the threshold, if it does. A
    visit lasts until the next event, at most `max_gap` (a tab left open is not attention);
    the last visit counts into the future. Evaluated for every changed session, so: one pass,
    and none when the session is too short for the threshold."""
    if state.first_at is None or state.last_at is None:
        return None
    if state.last_at - state.first_at + max_gap < threshold:
        return None
    visits, total = state.visits, timedelta(0)
    for i, visit in enumerate(visits):
        if visit.kind is not kind:
            continue
        end = visit.at + max_gap
        if i + 1 < len(visits) and visits[i + 1].at < end:
            end = visits[i + 1].at
        if total + (end - visit.at) >= threshold:
            return visit.at + (threshold - total)
        total += end - visit.at
    return None


def nth_within(stamps: Sequence[Stamp], count: int, window: timedelta) -> Stamp | None:
    """The first stamp that completes `count` stamps within `window`."""
    for i in range(count - 1, len(stamps)):
        if stamps[i].at - stamps[i - count + 1].at <= window:
            return stamps[i]
    return None


def last_values(stamps: Sequence[Stamp], limit: int = 5) -> list[str]:
    seen: dict[str, None] = {}
    for stamp in reversed(stamps):
        seen.setdefault(stamp.detail)
    return list(seen)[:limit]


# --- the rules ---


class AbandonedCartConfig(RuleConfig):
    inactivity_minutes: float = Field(15, gt=0)


@register
class AbandonedCart(BaseRule[AbandonedCartConfig]):
    """Items in the cart, then no order within N minutes of the session's last activity."""

    name = "abandoned_cart"
    config_model = AbandonedCartConfig

    def __init__(self, config: AbandonedCartConfig) -> None:
        super().__init__(config)
        self.inactivity = minutes(config.inactivity_minutes)

    def episodes(self, state: SessionState) -> Sequence[Due]:
        if state.cart_value_cents > 0 and state.ordered_at is None and state.last_at:
            return (Due(state.last_at + self.inactivity),)
        return NOTHING_DUE

    def describe(self, state: SessionState, due: Due) -> tuple[str, dict[str, str]]:
        value = f"{state.cart_value_cents / 100:.2f} {state.currency or ''}".strip()
        idle = int(self.config.inactivity_minutes)
        return f"Cart of {value} left for {idle} minutes", {"idle_minutes": str(idle)}


class ProductDwellConfig(RuleConfig):
    dwell_minutes: float = Field(8, gt=0)
    max_gap_minutes: float = Field(5, gt=0)


@register
class LongProductDwell(BaseRule[ProductDwellConfig]):
    """M or more minutes on product pages and nothing added to the cart."""

    name = "long_product_dwell"
    config_model = ProductDwellConfig

    def __init__(self, config: ProductDwellConfig) -> None:
        super().__init__(config)
        self.dwell, self.max_gap = minutes(config.dwell_minutes), minutes(config.max_gap_minutes)

    def episodes(self, state: SessionState) -> Sequence[Due]:
        if state.added_to_cart or state.ordered_at is not None:
            return NOTHING_DUE
        at = dwell_crossing(state, PageKind.PRODUCT, self.max_gap, self.dwell)
        return NOTHING_DUE if at is None else (Due(at),)

    def describe(self, state: SessionState, due: Due) -> tuple[str, dict[str, str]]:
        dwell = int(self.config.dwell_minutes)
        products = last_values(state.viewed_products)
        return (
            f"{dwell} minutes on product pages without adding to the cart",
            {"dwell_minutes": str(dwell), "last_product": products[0] if products else ""},
        )


class FaqSearchConfig(RuleConfig):
    searches: int = Field(4, ge=1)
    help_minutes: float = Field(6, gt=0)
    max_gap_minutes: float = Field(5, gt=0)


@register
class LongFaqSearch(BaseRule[FaqSearchConfig]):
    """K or more FAQ searches, or T minutes on FAQ and support pages, nothing found helpful."""

    name = "long_faq_search"
    config_model = FaqSearchConfig

    def __init__(self, config: FaqSearchConfig) -> None:
        super().__init__(config)
        self.help, self.max_gap = minutes(config.help_minutes), minutes(config.max_gap_minutes)

    def episodes(self, state: SessionState) -> Sequence[Due]:
        if state.faq_helpful:
            return NOTHING_DUE
        at = dwell_crossing(state, PageKind.HELP, self.max_gap, self.help)
        if len(state.faq_searches) >= self.config.searches:
            searched = state.faq_searches[self.config.searches - 1].at
            at = searched if at is None else min(at, searched)
        return NOTHING_DUE if at is None else (Due(at),)

    def describe(self, state: SessionState, due: Due) -> tuple[str, dict[str, str]]:
        count = len(state.faq_searches)
        return (
            f"{count} FAQ searches without a helpful answer",
            {"searches": str(count)},
        )


class CheckoutFailingConfig(RuleConfig):
    failures: int = Field(3, ge=1)
    window_minutes: float = Field(15, gt=0)


@register
class CheckoutFailing(BaseRule[CheckoutFailingConfig]):
    """Checkout failing again and again within a window."""

    name = "checkout_failing"
    config_model = CheckoutFailingConfig

    def episodes(self, state: SessionState) -> Sequence[Due]:
        if state.ordered_at is not None or len(state.checkout_failures) < self.config.failures:
            return NOTHING_DUE
        hit = nth_within(
            state.checkout_failures, self.config.failures, minutes(self.config.window_minutes)
        )
        return NOTHING_DUE if hit is None else (Due(hit.at),)

    def describe(self, state: SessionState, due: Due) -> tuple[str, dict[str, str]]:
        reasons = last_values(state.checkout_failures)
        count = len(state.checkout_failures)
        return (
            f"Checkout failed {count} times ({', '.join(reasons)})",
            {"failures": str(count), "last_failure": reasons[0] if reasons else ""},
        )


class OrderStatusConfig(RuleConfig):
    checks: int = Field(3, ge=1)
    window_minutes: float = Field(24 * 60, gt=0)


@register
class RepeatedOrderStatus(BaseRule[OrderStatusConfig]):
    """Repeated order-status checks for an order that is late or held at the carrier."""

    name = "order_status_repeated"
    config_model = OrderStatusConfig
    suppressed_by_order = False  # it is about an order already placed

    def episodes(self, state: SessionState) -> Sequence[Due]:
        if not state.order_problems:
            return NOTHING_DUE
        episodes = []
        for order_id in sorted(state.order_problems):
            checks = [s for s in state.status_checks if s.detail == order_id]
            hit = nth_within(checks, self.config.checks, minutes(self.config.window_minutes))
            if hit is not None:
                episodes.append(Due(hit.at, episode=order_id))
        return episodes

    def describe(self, state: SessionState, due: Due) -> tuple[str, dict[str, str]]:
        problem = state.order_problems.get(due.episode, "")
        checks = sum(1 for s in state.status_checks if s.detail == due.episode)
        return (
            f"Checked order {due.episode} {checks} times; it is {problem}",
            {"order_id": due.episode, "order_problem": problem, "checks": str(checks)},
        )


def next_deadline(rules: Sequence[Rule], state: SessionState) -> datetime | None:
    earliest = None
    for rule in rules:
        at = rule.next_deadline(state)
        if at is not None and (earliest is None or at < earliest):
            earliest = at
    return earliest


def due_decisions(rules: Sequence[Rule], state: SessionState, now: datetime) -> list[Decision]:
    """Every rule that is due now, one decision each (an episode at a time)."""
    return [d for rule in rules if (d := rule.evaluate(state, now)) is not None]

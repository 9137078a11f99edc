"""Parameters of a simulated day, with defaults that resemble a mid-sized toy shop's contact
centre. Times are in seconds unless a name says otherwise."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

# Relative call volume per hour of day (UTC): a weekday with peaks late morning and afternoon.
WEEKDAY = (0, 0, 0, 0, 0, 0, 0, 1, 5, 9, 12, 12, 9, 9, 11, 11, 9, 7, 4, 2, 1, 0, 0, 0)
FLAT = (1,) * 24
PROFILES: dict[str, tuple[int, ...]] = {"weekday": WEEKDAY, "flat": FLAT}

SOURCE = "cc-dev-simulator"


@dataclass(frozen=True)
class CallParams:
    calls_per_day: float = 1200.0  # over a whole day of the profile; the window gets its share
    profile: tuple[float, ...] = WEEKDAY
    queues: tuple[tuple[str, float], ...] = (("sales", 0.4), ("service", 0.45), ("claims", 0.15))
    agents: int = 22
    shift_hours: float = 8.0
    breaks: bool = True  # lunch and two short pauses per shift
    patience_mean: float = 90.0  # exponential: the caller hangs up after this long on average
    max_wait: float = 600.0  # the queue's timeout: EXITWITHTIMEOUT after this
    exit_key_share: float = 0.02  # callers who leave by pressing a key when their patience ends
    talk_median: float = 240.0  # lognormal talk time
    talk_sigma: float = 0.6
    exponential_talk: bool = False  # M/M/n+M, for checks against Erlang-A
    wrapup_median: float = 30.0  # lognormal after-call work
    wrapup_sigma: float = 0.5
    ring_seconds: tuple[float, float] = (2.0, 8.0)  # uniform
    ring_no_answer_share: float = 0.03
    hold_share: float = 0.15  # answered calls put on hold
    transfer_share: float = 0.05  # answered calls transferred to another queue
    withheld_share: float = 0.05


@dataclass(frozen=True)
class ShopParams:
    sessions_per_day: float = 3000.0
    profile: tuple[float, ...] = WEEKDAY
    # What each session does; every kind but browse/order_status is a proactive-rule situation.
    mix: tuple[tuple[str, float], ...] = (
        ("browse", 0.40),
        ("product_dwell", 0.10),
        ("faq_search", 0.10),
        ("abandoned_cart", 0.15),
        ("checkout_failed", 0.05),
        ("purchase", 0.15),
        ("order_status", 0.05),
    )
    logged_in_share: float = 0.6
    opt_out_share: float = 0.05


@dataclass(frozen=True)
class ServiceParams:
    tickets_per_day: float = 150.0
    chats_per_day: float = 300.0
    emails_per_day: float = 250.0
    csat_share: float = 0.25  # contacts whose customer answers the survey
    reassign_share: float = 0.2  # tickets that go to marketing and back


def today_at(hour: int) -> datetime:
    now = datetime.now(UTC)
    return now.replace(hour=hour, minute=0, second=0, microsecond=0)


@dataclass(frozen=True)
class SimulationParams:
    seed: int = 1
    start: datetime = field(default_factory=lambda: today_at(8))
    hours: float = 12.0
    customers: int = 5000
    calls: CallParams = field(default_factory=CallParams)
    shop: ShopParams = field(default_factory=ShopParams)
    service: ServiceParams = field(default_factory=ServiceParams)

    @property
    def end(self) -> datetime:
        return self.start + timedelta(hours=self.hours)

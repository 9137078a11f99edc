"""What the simulation's parts share: emissions, seeded streams, arrivals and the customers."""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cc_dev.simulation.params import SOURCE, SimulationParams
from cc_schemas import Event, make_event_id


@dataclass(frozen=True, order=True)
class Emission:
    """One event and when it happens; ordered by time, then by the order it was made."""

    at: datetime
    seq: int
    event: Event = field(compare=False)


class Stream:
    """A seeded random stream and the events one part of the simulation makes with it."""

    def __init__(self, params: SimulationParams, part: str) -> None:
        self.params = params
        self.part = part
        self.rng = random.Random(f"{params.seed}:{part}")  # str seeds are stable across runs
        self.emissions: list[Emission] = []
        self._seq = 0
        self._numbers = 0

    def event_id(self, *ids: object) -> str:
        return make_event_id(SOURCE, self.params.seed, self.part, *ids)

    def next_number(self) -> int:
        self._numbers += 1
        return self._numbers

    def emit(self, at: datetime, event: Event) -> None:
        """Keep the event when it happens inside the simulated window."""
        if self.params.start <= at < self.params.end:
            self._seq += 1
            self.emissions.append(Emission(at, self._seq, event))

    def lognormal(self, median: float, sigma: float) -> float:
        return self.rng.lognormvariate(_ln(median), sigma)

    def pick(self, weighted: tuple[tuple[str, float], ...]) -> str:
        names = [name for name, _ in weighted]
        return self.rng.choices(names, weights=[w for _, w in weighted])[0]


def _ln(x: float) -> float:
    return math.log(x)


def arrivals(stream: Stream, per_day: float, profile: tuple[float, ...]) -> Iterator[datetime]:
    """Poisson arrivals whose hourly rate follows the profile (weights per hour of day, UTC)."""
    params, total = stream.params, sum(profile)
    if total <= 0 or per_day <= 0:
        return
    hour_start = params.start.replace(minute=0, second=0, microsecond=0)
    while hour_start < params.end:
        rate = per_day * profile[hour_start.hour] / total / 3600  # per second
        hour_end = hour_start + timedelta(hours=1)
        at = max(hour_start, params.start)
        while rate > 0:
            at += timedelta(seconds=stream.rng.expovariate(rate))
            if at >= min(hour_end, params.end):
                break
            yield at
        hour_start = hour_end


@dataclass(frozen=True)
class Customer:
    customer_id: str
    phone: str  # E.164
    email: str


def customer(params: SimulationParams, number: int) -> Customer:
    """The n-th customer of the shop, the same in every part of the simulation."""
    return Customer(
        customer_id=f"cust-{number:06d}",
        phone=f"+4930{5_000_000 + number:07d}",
        email=f"customer{number}@example.org",
    )


def any_customer(stream: Stream) -> Customer:
    return customer(stream.params, stream.rng.randrange(stream.params.customers))

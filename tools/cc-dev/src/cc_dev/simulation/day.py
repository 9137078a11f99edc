"""A whole simulated window: every part's events merged in time order."""

from __future__ import annotations

import heapq

from cc_dev.simulation.base import Emission, Stream
from cc_dev.simulation.calls import simulate_calls
from cc_dev.simulation.params import SimulationParams
from cc_dev.simulation.service import simulate_service
from cc_dev.simulation.shop import simulate_shop

PARTS = {"pbx": simulate_calls, "shop": simulate_shop, "service": simulate_service}


def simulate_day(params: SimulationParams, parts: tuple[str, ...] = tuple(PARTS)) -> list[Emission]:
    """The events of the window in time order; the same params give the same events."""
    streams = [PARTS[part](Stream(params, part)) for part in parts]
    return list(heapq.merge(*(sorted(s.emissions) for s in streams)))


__all__ = ["Emission", "simulate_day"]

"""The simulated contact centre: a pure, seeded generator of a day's events (no I/O).

`simulate_day(params)` gives every event of the window in time order; `cc_dev.simulate` publishes.
"""

from cc_dev.simulation.day import Emission, simulate_day
from cc_dev.simulation.params import PROFILES, CallParams, ShopParams, SimulationParams

__all__ = ["PROFILES", "CallParams", "Emission", "ShopParams", "SimulationParams", "simulate_day"]

"""The event-time clock of replays and simulations: it follows the latest event time, never
goes back, and keeps moving with the wall clock while no event comes."""

import time
from datetime import timedelta

from proactive_engine.clock import EventTimeClock


def test_the_clock_jumps_to_a_later_event_time_and_ignores_an_earlier_one() -> None:
    clock = EventTimeClock()
    ahead = clock.now() + timedelta(hours=2)

    clock.observe(ahead)
    clock.observe(ahead - timedelta(minutes=30))  # late or out of order

    assert ahead <= clock.now() < ahead + timedelta(seconds=5)


def test_the_clock_moves_on_while_no_event_comes() -> None:
    clock = EventTimeClock()
    clock.observe(clock.now() + timedelta(hours=1))
    before = clock.now()

    time.sleep(0.05)

    assert clock.now() - before >= timedelta(seconds=0.05)

"""What a waiting customer is told, pure: "an operator will answer in about N minutes", from the
queue as it is, or that nobody is online (then the widget offers to leave a message). No I/O.

Seats free up as chats end: with `online_seats` seats and chats lasting `handling_seconds` on
average, about one seat frees every handling_seconds / online_seats. A customer whose place in
the queue is within the free seats is answered at the next assignment round; one further back
waits for (place - free seats) seats to free."""

from __future__ import annotations

import math
from dataclasses import dataclass

MINIMUM_MINUTES = 1  # nobody is promised "0 minutes": the assignment and a first reply take time


@dataclass(frozen=True)
class QueueFigures:
    place: int  # 1 for the first waiting chat; a customer not yet in the queue is after the last
    operators_online: int
    online_seats: int  # the seat limits of the online operators, added up
    free_seats: int  # of those, not taken by an open chat
    handling_seconds: float  # how long chats lasted lately (a default when none ended lately)


@dataclass(frozen=True)
class Estimate:
    nobody_online: bool
    minutes: int | None  # None when nobody is online: no honest figure to give


def estimate(figures: QueueFigures) -> Estimate:
    if figures.operators_online == 0 or figures.online_seats == 0:
        return Estimate(nobody_online=True, minutes=None)
    behind_free_seats = max(figures.place - figures.free_seats, 0)
    seconds = behind_free_seats * figures.handling_seconds / figures.online_seats
    return Estimate(nobody_online=False, minutes=max(MINIMUM_MINUTES, math.ceil(seconds / 60)))

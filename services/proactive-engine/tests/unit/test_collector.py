"""The garbage collector's tuning: survivors of a young collection are frozen (never scanned
again), and so is what is alive after a batch, young cyclic garbage is still collected, and the
hourly collection reclaims cyclic garbage that was frozen while alive."""

import gc
import weakref
from collections.abc import Iterator

import pytest

from proactive_engine import collector


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


def cycle() -> Node:
    a, b = Node(), Node()
    a.other, b.other = b, a
    return a


@pytest.fixture
def tuned() -> Iterator[None]:
    threshold = gc.get_threshold()
    gc.collect()
    collector.tune()
    try:
        yield
    finally:
        gc.callbacks.remove(collector._freeze_survivors)
        gc.set_threshold(*threshold)
        gc.unfreeze()
        gc.collect()


@pytest.mark.usefixtures("tuned")
def test_survivors_are_frozen_and_young_cycles_collected() -> None:
    kept = cycle()
    dropped = weakref.ref(cycle())  # garbage as soon as it is made
    frozen_before = gc.get_freeze_count()

    gc.collect(0)

    assert dropped() is None
    assert gc.get_freeze_count() > frozen_before
    assert gc.get_count()[0] == 0
    assert kept.other is not None


@pytest.mark.usefixtures("tuned")
def test_the_hourly_collection_reclaims_a_cycle_frozen_while_alive() -> None:
    node = cycle()
    alive = weakref.ref(node)
    gc.collect(0)  # node survives: frozen
    del node
    gc.collect(0)
    assert alive() is not None  # frozen garbage: out of the young collections' sight

    collector.collect_frozen()

    assert alive() is None


@pytest.mark.usefixtures("tuned")
def test_what_is_alive_after_a_batch_is_frozen_and_leaves_the_young_generation_empty() -> None:
    kept = [cycle() for _ in range(100)]
    frozen_before = gc.get_freeze_count()

    collector.freeze_after_batch()

    assert gc.get_freeze_count() >= frozen_before + len(kept)
    assert gc.get_count()[0] == 0

"""A call's row and the hour buckets depend on the set of its events, not on their order or on
duplicates; a late event moves the call's contribution instead of adding to it."""

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from cc_schemas import (
    CallAbandoned,
    CallAnswered,
    CallEnded,
    Caller,
    CallEvent,
    CallOffered,
    EndedBy,
)
from kpi.calls import CallFact, CallRules, Measures, Outcome, derive_row, fact_of
from kpi.fold import BucketKey, fold_calls

T0 = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # the night Rome switches to summer time
ROME = ZoneInfo("Europe/Rome")


def call(call_id: str, wait: float) -> list[CallEvent]:
    def at(seconds: float) -> dict[str, object]:
        return {"occurred_at": T0 + timedelta(seconds=seconds), "source": "t", "call_id": call_id}

    caller = Caller(number_raw="1")
    return [
        CallOffered(event_id=f"{call_id}-o", queue="sales", caller=caller, **at(0)),
        CallAbandoned(
            event_id=f"{call_id}-x", queue="sales", wait_seconds=wait, position=1, **at(wait)
        ),
        CallAnswered(event_id=f"{call_id}-a", agent="A", wait_seconds=wait, **at(wait)),
        CallEnded(
            event_id=f"{call_id}-e",
            agent="A",
            wait_seconds=wait,
            talk_seconds=30.5,
            hold_seconds=None,
            wrapup_seconds=4,
            ended_by=EndedBy.AGENT,
            **at(wait + 30.5),
        ),
    ]


def fold_in_batches(events: list[CallEvent], size: int) -> dict[BucketKey, Measures]:
    """The buckets the fold's changes add up to, batch after batch, with the facts it keeps
    per call as the store does; a redelivered event is left out, as the store leaves it."""
    known: dict[str, list[CallFact]] = {}
    seen: set[str] = set()
    buckets: dict[BucketKey, Measures] = {}
    for start in range(0, len(events), size):
        new: dict[str, list[CallFact]] = defaultdict(list)
        for event in events[start : start + size]:
            if event.event_id not in seen:
                seen.add(event.event_id)
                new[event.call_id].append(fact_of(event))
        changes = fold_calls(known, new, CallRules(), ROME)
        known.update({u.call_id: list(u.facts) for u in changes.updates})
        for key, change in changes.buckets.items():
            buckets.setdefault(key, Measures()).add(change.measures)
    return {key: m for key, m in buckets.items() if not m.is_empty()}


@settings(max_examples=60, deadline=None)
@given(
    orders=st.lists(st.permutations(range(8)), min_size=2, max_size=2),
    sizes=st.lists(st.integers(1, 11), min_size=2, max_size=2),
    waits=st.lists(st.floats(0, 400, allow_nan=False), min_size=2, max_size=2),
)
def test_any_order_with_duplicates_in_any_batches_moves_the_buckets_alike(
    orders: list[list[int]], sizes: list[int], waits: list[float]
) -> None:
    events = call("c1", waits[0]) + call("c2", waits[1])
    folded = [
        fold_in_batches([events[i] for i in [*order, *order[:3]]], size)
        for order, size in zip(orders, sizes, strict=True)
    ]

    assert folded[0] == folded[1]
    (measures,) = folded[0].values()
    assert (measures.offered, measures.answered, measures.abandoned) == (2, 2, 0)


def test_a_late_answer_moves_a_counted_abandon_out_and_marks_its_bucket_for_the_longest_wait() -> (
    None
):
    offered, abandoned, answered, _ = call("c1", 12.0)
    first = fold_calls({}, {"c1": [fact_of(offered), fact_of(abandoned)]}, CallRules(), ROME)
    (facts,) = [u.facts for u in first.updates]

    late = fold_calls({"c1": list(facts)}, {"c1": [fact_of(answered)]}, CallRules(), ROME)

    left, entered = (late.buckets[key] for key in sorted(late.buckets))  # agent "" then "A"
    assert (left.measures.abandoned, left.measures.offered, left.recompute_longest) == (
        -1,
        -1,
        True,
    )
    assert (entered.measures.answered, entered.recompute_longest) == (1, False)
    assert (entered.longest_wait_ms, entered.longest_answered_wait_ms) == (12_000, 12_000)


def test_a_call_without_its_offer_is_not_counted_until_the_offer_arrives() -> None:
    offered, _, answered, ended = call("c1", 3.0)
    facts = [fact_of(answered), fact_of(ended)]

    assert derive_row("c1", facts, CallRules()) is None
    row = derive_row("c1", [*facts, fact_of(offered)], CallRules())
    assert row is not None
    assert (row.outcome, row.talk_ms, row.wrapup_ms, row.hold_ms) == (
        Outcome.ANSWERED,
        30_500,
        4_000,
        0,
    )

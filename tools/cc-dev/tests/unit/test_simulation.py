"""The simulator is deterministic for a seed and, over long seeded runs, its traffic matches its
parameters: arrival rates by hour, abandons as Erlang-A (M/M/n+M) predicts, the shop's mix of
rule situations; every event is valid for its topic."""

import math
from collections import Counter, defaultdict
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from cc_dev.simulate import Pace, wall_offsets
from cc_dev.simulation import PROFILES, CallParams, ShopParams, SimulationParams, simulate_day
from cc_dev.simulation.base import Emission
from cc_schemas import Event, encode, parse, topic_of

MONDAY = datetime(2026, 3, 2, 8, tzinfo=UTC)


def day(seed: int = 7, **changes: object) -> SimulationParams:
    return replace(SimulationParams(seed=seed, start=MONDAY, hours=12), **changes)


def wire(emissions: list[Emission]) -> list[tuple[datetime, str, bytes]]:
    return [(e.at, topic_of(e.event), encode(e.event)) for e in emissions]


def of_type(emissions: list[Emission], event_type: str) -> list[Event]:
    return [e.event for e in emissions if e.event.event_type == event_type]


def test_the_same_seed_gives_the_same_traffic_and_another_seed_other_traffic() -> None:
    first = wire(simulate_day(day(seed=7, hours=3)))
    again = wire(simulate_day(day(seed=7, hours=3)))
    other = wire(simulate_day(day(seed=8, hours=3)))

    assert first == again
    assert first != other
    assert len(first) > 1000


def test_every_event_is_valid_for_its_topic_and_comes_in_time_order() -> None:
    emissions = simulate_day(day(hours=4))

    for emission in emissions:
        assert parse(topic_of(emission.event), encode(emission.event)) == emission.event
        assert emission.at == emission.event.occurred_at
        assert MONDAY <= emission.at < MONDAY + timedelta(hours=4)
    assert [e.at for e in emissions] == sorted(e.at for e in emissions)
    topics = {topic_of(e.event) for e in emissions}
    assert topics >= {
        "call-events",
        "agent-events",
        "browse-events",
        "cart-events",
        "order-events",
        "ticket-opened",
        "ticket-assigned",
        "ticket-closed",
        "chat-events",
        "interactions",
        "csat-responses",
    }


def test_calls_arrive_at_the_hourly_rates_of_the_profile() -> None:
    calls = CallParams(calls_per_day=6000, agents=30)
    emissions = simulate_day(day(calls=calls), parts=("pbx",))
    by_hour = Counter(e.occurred_at.hour for e in of_type(emissions, "call.offered"))
    weekday = PROFILES["weekday"]

    # A transferred call is offered again; leave those repeats out of the arrival count.
    transferred = len(of_type(emissions, "call.transferred"))
    assert sum(by_hour.values()) - transferred > 0
    for hour in range(8, 20):
        expected = 6000 * weekday[hour] / sum(weekday)
        assert abs(by_hour[hour] - expected) < 5 * math.sqrt(expected) + transferred / 6, hour


def erlang_a_abandon_share(rate: float, mean_talk: float, patience: float, agents: int) -> float:
    """P(abandon) of the M/M/n+M queue (Erlang-A), from its birth-death stationary law."""
    weights, w = [1.0], 1.0
    for k in range(1, agents + 2000):
        w *= rate / (min(k, agents) / mean_talk + max(k - agents, 0) / patience)
        weights.append(w)
    total = sum(weights)
    abandon_rate = sum(wk * max(k - agents, 0) / patience for k, wk in enumerate(weights))
    return abandon_rate / total / rate


def test_the_abandon_share_matches_erlang_a_for_its_parameters() -> None:
    hours, per_hour, talk, patience, agents = 60, 60.0, 240.0, 120.0, 4
    calls = CallParams(
        calls_per_day=per_hour * 24,
        profile=PROFILES["flat"],
        agents=agents,
        shift_hours=hours,
        breaks=False,
        patience_mean=patience,
        max_wait=1e9,
        exit_key_share=0.0,
        talk_median=talk,
        exponential_talk=True,
        transfer_share=0.0,
    )
    emissions = simulate_day(day(seed=11, hours=hours, calls=calls), parts=("pbx",))
    offered = len(of_type(emissions, "call.offered"))
    abandoned = len(of_type(emissions, "call.abandoned"))

    expected = erlang_a_abandon_share(per_hour / 3600, talk, patience, agents)
    assert abs(offered - per_hour * hours) < 4 * math.sqrt(per_hour * hours)
    assert 0.1 < expected < 0.3
    assert abs(abandoned / offered - expected) < 0.03


def test_a_default_day_has_short_abandons_transfers_timeouts_and_pauses() -> None:
    emissions = simulate_day(day(), parts=("pbx",))
    abandons = of_type(emissions, "call.abandoned")
    offered = len(of_type(emissions, "call.offered"))

    assert 0.02 < len(abandons) / offered < 0.25
    assert any(a.wait_seconds < 5 for a in abandons)  # type: ignore[attr-defined]
    assert of_type(emissions, "call.transferred")
    assert of_type(emissions, "call.ring_no_answer")
    assert {p.reason for p in of_type(emissions, "agent.paused")} == {"break", "lunch"}  # type: ignore[attr-defined]
    ended = of_type(emissions, "call.ended")
    talk = sorted(e.talk_seconds for e in ended)  # type: ignore[attr-defined]
    assert 180 < talk[len(talk) // 2] < 320  # lognormal around the 240 s median


def situation(events: list[Event]) -> str:
    """Which shop situation a session's events show, as a proactive engine would see it."""
    types = Counter(e.event_type for e in events)
    products = Counter(
        getattr(e, "product_id", None) for e in events if e.event_type == "product.viewed"
    )
    if types["checkout.failed"]:
        return "checkout_failed"
    if types["order.placed"]:
        return "purchase"
    if types["cart.item_added"]:
        return "abandoned_cart"
    if types["faq.searched"] >= 3:
        return "faq_search"
    if products and max(products.values()) >= 3:
        return "product_dwell"
    if types["order_status.checked"]:
        return "order_status"
    return "browse"


def test_shop_sessions_show_each_rule_situation_in_the_configured_proportion() -> None:
    shop = ShopParams(sessions_per_day=12_000, profile=PROFILES["flat"])
    emissions = simulate_day(day(seed=5, hours=24, shop=shop), parts=("shop",))
    sessions: dict[str, list[Event]] = defaultdict(list)
    for e in emissions:
        if hasattr(e.event, "session_id"):
            sessions[e.event.session_id].append(e.event)
    found = Counter(situation(events) for events in sessions.values())

    assert abs(len(sessions) - 12_000) < 4 * math.sqrt(12_000)
    for kind, share in shop.mix:
        assert abs(found[kind] / len(sessions) - share) < 0.015, (kind, found[kind])


def test_every_purchase_places_an_order_that_logistics_carries_on() -> None:
    emissions = simulate_day(day(hours=12), parts=("shop",))
    placed = {
        e.order_id for e in of_type(emissions, "order.placed") if topic_of(e) == "order-events"
    }  # type: ignore[attr-defined]
    later = Counter(e.event.event_type for e in emissions if topic_of(e.event) == "order-events")

    assert placed
    assert later["order.shipped"] > 0.5 * len(placed)
    assert later["order.delivered"] > 0.3 * len(placed)
    assert later["order.cancelled"] + later["order.returned"] + later["order.held_at_carrier"] > 0


def test_the_pace_maps_simulated_time_to_wall_time_and_caps_the_rate() -> None:
    emissions = simulate_day(day(hours=1), parts=("pbx",))[:50]
    first = emissions[0].at
    sim = [(e.at - first).total_seconds() for e in emissions]

    assert wall_offsets(emissions, Pace(speed=60)) == [s / 60 for s in sim]
    assert wall_offsets(emissions, Pace(speed=None)) == [0.0] * 50
    capped = wall_offsets(emissions, Pace(speed=None, max_rate=10))
    assert capped == [n / 10 for n in range(50)]

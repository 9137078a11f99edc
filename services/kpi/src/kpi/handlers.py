"""Use cases of kpi: storing a consumed batch and moving the KPIs it changes, in one
transaction of the store; no Kafka or HTTP."""

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import cast
from zoneinfo import ZoneInfo

from cc_schemas import CALL_EVENTS, CallEvent, Event
from kpi.calls import CallFact, CallRules, fact_of
from kpi.entities import entity_changes
from kpi.fold import fold_calls, fold_outbound
from kpi.outbound import OutboundFact, is_outbound, outbound_fact_of
from kpi.repository import Batch, KpiStore
from kpi.sla import sla_changes


async def record_events(
    events: Sequence[tuple[str, Event]],
    store: KpiStore,
    rules: CallRules,
    zone: ZoneInfo,
    received_at: datetime,
) -> int:
    """Store a batch of (topic, event) received at `received_at` once and move the KPIs by the
    events that were new, in one transaction; returns how many were new.

    A redelivered batch stores nothing new and so moves nothing; a failure rolls the whole
    batch back, to be read again. The other topics' KPIs are computed when asked from the
    stored events of the entities near the period asked for, whose places move here.
    """

    async def work(batch: Batch) -> int:
        new = await batch.add_events(events, received_at)
        calls: dict[str, list[CallFact]] = defaultdict(list)
        outbound: dict[str, list[OutboundFact]] = defaultdict(list)
        for topic, event in new:
            if topic == CALL_EVENTS:  # not isinstance: see calls.fact_of
                call = cast(CallEvent, event)
                if is_outbound(call):
                    outbound[call.call_id].append(outbound_fact_of(call))
                else:
                    calls[call.call_id].append(fact_of(call))
        if calls:
            known = await batch.lock_calls(list(calls))
            await batch.save_calls(fold_calls(known, calls, rules, zone))
        if outbound:
            known_attempts = await batch.lock_outbound(list(outbound))
            await batch.save_outbound(fold_outbound(known_attempts, outbound, zone))
        await batch.place_entities(entity_changes(new))
        await batch.save_sla(sla_changes(new, zone))
        await batch.count(new, received_at)
        return len(new)

    return await store.run(work)

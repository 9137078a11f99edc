"""Topic -> handler, nothing more. Reads browse-events and cart-events (in batches, partitions
owned through a range assignor and a rebalance listener), order-events and chat-events."""

import contextlib
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, ConsumerRecord, TopicPartition
from aiokafka.coordinator.assignors.range import RangePartitionAssignor
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage

from cc_runtime import DeadLetters, ReadAgainLater, consumer_options
from cc_runtime.kafka import undecoded
from cc_schemas import (
    BROWSE_EVENTS,
    CART_EVENTS,
    CHAT_EVENTS,
    ORDER_EVENTS,
    AnyChatEvent,
    AnyOrderEvent,
    ShopEvent,
    parse,
)
from proactive_engine.handlers import (
    Commit,
    Engine,
    SourcePartition,
    apply_shop_events,
    give_back_partitions,
    record_chat_event,
    record_order_event,
    take_partitions,
)
from proactive_engine.settings import Settings


class PartitionOwnership(ConsumerRebalanceListener):  # type: ignore[misc]
    """Partition p of browse- and cart-events is one set of sessions: a range assignor gives
    both to the same instance. A rebalance first revokes everywhere (a save in progress ends
    first, nothing is fired meanwhile), then assigns: an instance keeps the sessions of the
    partitions it got back and loads the others. The shop consumer has a group of its own, so
    the order and chat consumers joining or leaving do not move sessions."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        await give_back_partitions(self.engine, sorted({tp.partition for tp in revoked}))

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        await take_partitions(self.engine, sorted({tp.partition for tp in assigned}))


async def read_again_later(message: KafkaMessage) -> None:
    """Seek back to the batch's first records; a partition no longer assigned refuses (it has
    no position), and its next assignment starts from the committed offset anyway."""
    with contextlib.suppress(Exception):
        await message.nack()


def committer(consumer: AIOKafkaConsumer) -> Commit:
    async def commit(offsets: Mapping[SourcePartition, int]) -> None:
        await consumer.commit({TopicPartition(t, p): o for (t, p), o in offsets.items()})

    return commit


def next_offsets(records: "Sequence[ConsumerRecord[Any, Any]]") -> dict[SourcePartition, int]:
    """Per source partition, the offset after the batch's last record."""
    offsets: dict[SourcePartition, int] = {}
    for record in records:
        source = (record.topic, record.partition)
        offsets[source] = max(offsets.get(source, 0), record.offset + 1)
    return offsets


def register_subscribers(
    broker: KafkaBroker, settings: Settings, engine: Engine, dead_letters: DeadLetters
) -> None:
    topics = {settings.topic(t): t for t in (BROWSE_EVENTS, CART_EVENTS)}

    async def dead_letter(record: "ConsumerRecord[Any, Any]", error: Exception) -> None:
        await dead_letters.send(record, error)
        engine.metrics.dead_lettered.labels(record.topic).inc()

    @broker.subscriber(
        *topics,
        batch=True,
        max_records=settings.batch_max_records,
        partition_assignment_strategy=(RangePartitionAssignor,),
        listener=PartitionOwnership(engine),
        decoder=undecoded,
        title="shop-events",
        description="Browse and cart events, folded into the owned sessions in batches",
        **{
            **consumer_options(settings),
            "group_id": f"{settings.consumer_group}.sessions",
            # Offsets are committed by the engine's checkpoints, once the sessions they changed
            # are stored, not after each batch.
            "ack_policy": AckPolicy.MANUAL,
        },
    )
    async def on_shop_events(body: Any, message: KafkaMessage) -> None:
        if engine.commit is None and isinstance(message.consumer, AIOKafkaConsumer):
            engine.commit = committer(message.consumer)
        records = message.raw_message
        if engine.owned.suspended.intersection(r.partition for r in records):
            await read_again_later(message)  # fetched before a rebalance: not ours to take now
            return
        by_partition: dict[int, list[ShopEvent]] = defaultdict(list)
        for record in records:
            try:
                event = parse(topics[record.topic], record.value or b"")
            except ValueError as error:
                await dead_letter(record, error)
                continue
            assert isinstance(event, ShopEvent)
            by_partition[record.partition].append(event)
        try:
            await apply_shop_events(engine, by_partition, next_offsets(records))
        except ReadAgainLater:  # a rebalance began while the invalid ones were dead-lettered
            await read_again_later(message)
            return
        for topic, count in Counter(topics[r.topic] for r in records).items():
            engine.metrics.events.labels(topic).inc(count)

    @broker.subscriber(
        settings.topic(ORDER_EVENTS),
        title="order-events",
        description="Orders that are late or held, for the order-status rule",
        **consumer_options(settings),
    )
    async def on_order_event(event: AnyOrderEvent) -> None:
        engine.metrics.events.labels(ORDER_EVENTS).inc()
        await record_order_event(engine, event)

    @broker.subscriber(
        settings.topic(CHAT_EVENTS),
        title="chat-events",
        description="Open chats: nobody is asked to reach out to a customer already chatting",
        **consumer_options(settings),
    )
    async def on_chat_event(event: AnyChatEvent) -> None:
        engine.metrics.events.labels(CHAT_EVENTS).inc()
        await record_chat_event(engine, event)

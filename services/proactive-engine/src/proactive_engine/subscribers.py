"""Topic -> handler, nothing more. Reads browse-events and cart-events (in batches, partitions
owned through a range assignor and a rebalance listener), order-events and chat-events."""

import contextlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from itertools import groupby
from operator import attrgetter
from typing import Any, cast

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
    parser,
)
from proactive_engine import collector
from proactive_engine.handlers import (
    Dependencies,
    ShopRecord,
    apply_shop_events,
    give_back_partitions,
    record_chat_event,
    record_order_event,
    take_partitions,
)
from proactive_engine.settings import Settings
from proactive_engine.watermark import SourcePartition


class PartitionOwnership(ConsumerRebalanceListener):  # type: ignore[misc]
    """Partition p of browse- and cart-events is one set of sessions: a range assignor gives
    both to the same instance. A rebalance first revokes everywhere (a save in progress ends
    first, nothing is fired meanwhile), then assigns: an instance keeps the sessions of the
    partitions it got back and loads the others. The shop consumer has a group of its own, so
    the order and chat consumers joining or leaving do not move sessions."""

    def __init__(self, deps: Dependencies) -> None:
        self.deps = deps

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        await give_back_partitions(self.deps, sorted({tp.partition for tp in revoked}))

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        await take_partitions(self.deps, sorted({tp.partition for tp in assigned}))


async def read_again_later(message: KafkaMessage) -> None:
    """Seek back to the batch's first records; a partition no longer assigned refuses (it has
    no position), and its next assignment starts from the committed offset anyway."""
    with contextlib.suppress(Exception):
        await message.nack()


class ShopOffsets:
    """Commits the shop consumer's offsets when a checkpoint says so (`Checkpoints`' commit).
    FastStream hands the consumer over with the first batch, which is before any offset can
    be committable."""

    def __init__(self) -> None:
        self._consumer: AIOKafkaConsumer | None = None

    def consumer_seen(self, consumer: object) -> None:
        if self._consumer is None and isinstance(consumer, AIOKafkaConsumer):
            self._consumer = consumer

    async def commit(self, offsets: Mapping[SourcePartition, int]) -> None:
        if self._consumer is None:
            raise RuntimeError("no shop batch was read yet: nothing to commit")
        await self._consumer.commit({TopicPartition(t, p): o for (t, p), o in offsets.items()})


def by_source(
    records: "Sequence[ConsumerRecord[Any, Any]]",
) -> "Iterator[tuple[SourcePartition, list[ConsumerRecord[Any, Any]]]]":
    """The batch in runs of one source partition (a fetch returns each partition's records
    together and in offset order); one pass, so that per-record work is only parsing."""
    for source, run in groupby(records, key=attrgetter("topic", "partition")):
        yield source, list(run)


def parsed(
    runs: "Sequence[tuple[str, Sequence[ConsumerRecord[Any, Any]]]]",
    invalid: "list[tuple[ConsumerRecord[Any, Any], Exception]]",
) -> Iterator[ShopRecord]:
    """The valid events of a partition's runs, each with its source partition and offset,
    parsed as they are held; the invalid ones go to `invalid`."""
    for name, run in runs:
        parse_event = cast(Callable[[bytes], ShopEvent], parser(name))
        source = (run[0].topic, run[0].partition) if run else ("", 0)  # a run's, one tuple
        for record in run:
            try:
                event = parse_event(record.value or b"")
            except ValueError as error:
                invalid.append((record, error))
                continue
            yield event, source, record.offset


def register_subscribers(
    broker: KafkaBroker,
    settings: Settings,
    deps: Dependencies,
    offsets: ShopOffsets,
    dead_letters: DeadLetters,
) -> None:
    topics = {settings.topic(t): t for t in (BROWSE_EVENTS, CART_EVENTS)}

    async def dead_letter(record: "ConsumerRecord[Any, Any]", error: Exception) -> None:
        await dead_letters.send(record, error)
        deps.metrics.dead_lettered.labels(record.topic).inc()

    @broker.subscriber(
        *topics,
        batch=True,
        max_records=settings.batch_max_records,
        partition_assignment_strategy=(RangePartitionAssignor,),
        listener=PartitionOwnership(deps),
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
        offsets.consumer_seen(message.consumer)
        runs: dict[int, list[tuple[str, list[ConsumerRecord[Any, Any]]]]] = defaultdict(list)
        next_offsets: dict[SourcePartition, int] = {}  # past the batch
        counts: Counter[str] = Counter()
        for (topic, partition), run in by_source(message.raw_message):
            if partition in deps.owned.suspended:
                await read_again_later(message)  # fetched before a rebalance: not ours now
                return
            runs[partition].append((topics[topic], run))
            source = (topic, partition)
            next_offsets[source] = max(next_offsets.get(source, 0), run[-1].offset + 1)
            counts[topics[topic]] += len(run)
        invalid: list[tuple[ConsumerRecord[Any, Any], Exception]] = []

        async def reject_invalid() -> None:
            for record, reason in invalid:
                await dead_letter(record, reason)

        by_partition = {p: parsed(partition_runs, invalid) for p, partition_runs in runs.items()}
        try:
            await apply_shop_events(deps, by_partition, next_offsets, reject_invalid)
        except ReadAgainLater:  # a rebalance began before the batch was folded
            await read_again_later(message)
            return
        except Exception:
            # Checkpoints, not batches, commit offsets: unless read again, this batch would be
            # committed past by the next one's offsets, its unfolded or undead-lettered records
            # lost. Read again, it folds to the same sessions; a retry in place that succeeds
            # dead-letters its invalid records a second time.
            await read_again_later(message)
            raise
        for name, count in counts.items():
            deps.metrics.events.labels(name).inc(count)
        collector.freeze_after_batch()

    @broker.subscriber(
        settings.topic(ORDER_EVENTS),
        title="order-events",
        description="Orders that are late or held, for the order-status rule",
        **consumer_options(settings),
    )
    async def on_order_event(event: AnyOrderEvent) -> None:
        deps.metrics.events.labels(ORDER_EVENTS).inc()
        await record_order_event(deps, event)

    @broker.subscriber(
        settings.topic(CHAT_EVENTS),
        title="chat-events",
        description="Open chats: nobody is asked to reach out to a customer already chatting",
        **consumer_options(settings),
    )
    async def on_chat_event(event: AnyChatEvent) -> None:
        deps.metrics.events.labels(CHAT_EVENTS).inc()
        await record_chat_event(deps, event)

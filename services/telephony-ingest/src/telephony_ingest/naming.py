"""The sink every source publishes through: each event's agent named by the person's sign-in
subject (`people.named_by_person`, from the directory's last known map), then handed to the
Kafka sink. One place, so the webhook, queue_log and AMI name a person alike."""

from collections.abc import Sequence

from cc_schemas import Event
from telephony_ingest.directory import PeopleDirectory
from telephony_ingest.people import named_by_person
from telephony_ingest.sink import KafkaEventSink


class PersonNamingSink:
    def __init__(self, sink: KafkaEventSink, directory: PeopleDirectory) -> None:
        self.sink = sink
        self.directory = directory

    async def publish(self, event: Event, source: str) -> None:
        await self.sink.publish(named_by_person(event, self.directory.people()), source)

    async def publish_now(self, events: Sequence[Event], source: str) -> None:
        people = self.directory.people()
        await self.sink.publish_now([named_by_person(e, people) for e in events], source)

    async def dead_letter(self, value: bytes, key: bytes | None, headers: dict[str, str]) -> None:
        await self.sink.dead_letter(value, key, headers)

    async def flush(self) -> None:
        await self.sink.flush()

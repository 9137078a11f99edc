"""Chats per agent: a chat counts for the operator who took it (the first to join, else the
first to answer), by the id chat names them with, their sign-in subject, the id call events
name them with too."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from cc_schemas import ChatAgentJoined, ChatEvent, ChatMessageSent, ChatStarted
from kpi.omni_reports import chat_report
from kpi.omnichannel import OmnichannelProjection
from kpi.reports import ReportQuery

T0 = datetime(2026, 4, 1, 8, tzinfo=UTC)


def chat(chat_id: str, *, joined: list[str], answered_by: str | None) -> list[ChatEvent]:
    common = {"source": "chat", "chat_id": chat_id}
    events: list[ChatEvent] = [
        ChatStarted(event_id=f"{chat_id}-s", occurred_at=T0, origin="customer", **common)
    ]
    for minute, agent in enumerate(joined, start=1):
        events.append(
            ChatAgentJoined(
                event_id=f"{chat_id}-j{minute}",
                occurred_at=T0 + timedelta(minutes=minute),
                agent=agent,
                **common,
            )
        )
    if answered_by is not None:
        events.append(
            ChatMessageSent(
                event_id=f"{chat_id}-m",
                occurred_at=T0 + timedelta(minutes=5),
                message_id="m",
                sender="agent",
                agent=answered_by,
                text="Hello",
                **common,
            )
        )
    return events


def chats_per_agent(events: list[ChatEvent]) -> dict[str, tuple[int, int]]:
    omni = OmnichannelProjection(ZoneInfo("Europe/Rome"))
    for event in reversed(events):  # in any order
        omni.apply(event)
    rows = chat_report(omni, ReportQuery(date(2026, 4, 1), date(2026, 4, 2), ("agent",)))
    return {row["agent"]: (row["chats"], row["responded"]) for row in rows}


def test_a_chat_counts_for_the_first_operator_to_join_it() -> None:
    events = [
        *chat("c1", joined=["sub-giulia", "sub-luca"], answered_by="sub-luca"),
        *chat("c2", joined=["sub-giulia"], answered_by="sub-giulia"),
        *chat("c3", joined=[], answered_by="sub-luca"),
        *chat("c4", joined=[], answered_by=None),
    ]

    assert chats_per_agent(events) == {
        "": (1, 0),
        "sub-giulia": (2, 2),
        "sub-luca": (1, 1),
    }

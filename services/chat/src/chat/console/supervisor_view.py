"""What the supervisor's board says, in their language. Pure: the wallboard in, words out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from chat.console.supervisor_words import SUPERVISOR_WORDS
from chat.wallboard import Targets, Wallboard


@dataclass(frozen=True)
class BoardView:
    updated: str
    alerts: tuple[str, ...]
    waiting: tuple[tuple[str, str, str, str, str], ...]  # kind's word, id, channel, age, kind
    levels: tuple[tuple[str, str, str], ...]  # channel, level, answered of offered
    operators: tuple[tuple[str, str, str], ...]  # id, state, load
    choices: tuple[str, ...]  # operators a chat may go to (not offline)
    held: tuple[tuple[str, str, str], ...] = ()  # chat id, operator, age


def board_view(board: Wallboard, targets: Targets, now: datetime, lang: str) -> BoardView:
    w = SUPERVISOR_WORDS[lang]
    target = duration(targets.answer_within)
    alerts = tuple(
        w["alert_oldest"].format(channel=a.channel, waited=duration(a.oldest), target=target)
        if a.oldest is not None
        else w["alert_level"].format(
            channel=a.channel, level=percent(a.level), goal=percent(targets.goal)
        )
        for a in board.alerts
    )
    return BoardView(
        updated=w["updated"].format(time=now.strftime("%H:%M:%S")),
        alerts=alerts,
        waiting=tuple(
            (w[r.kind], r.item_id, r.channel, duration(r.waited), r.kind) for r in board.waiting
        ),
        levels=tuple(
            (
                s.channel,
                percent(s.level),
                w["of"].format(hit=s.answered_in_target, offered=s.offered),
            )
            for s in board.service_levels
        ),
        operators=tuple(
            (
                o.operator_id,
                w[f"state_{o.state.value}"],
                w["load"].format(chats=o.open_chats, seats=o.seat_limit),
            )
            for o in board.operators
        ),
        choices=tuple(o.operator_id for o in board.operators if o.state.value != "offline"),
        held=tuple((h.chat_id, h.operator_id, duration(h.age)) for h in board.held),
    )


def duration(span: timedelta | None) -> str:
    seconds = int(span.total_seconds()) if span else 0
    minutes, seconds = divmod(max(seconds, 0), 60)
    return f"{minutes} min {seconds:02d} s" if minutes else f"{seconds} s"


def percent(level: float | None) -> str:
    return "-" if level is None else f"{round(level * 100)} %"

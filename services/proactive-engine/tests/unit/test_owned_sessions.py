"""The owned sessions in memory: the deadline heap against a plain model (property-based),
rebalance suspension, forgetting idle sessions, and marking them stored."""

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from proactive_engine.owned import LiveSession, OwnedSessions
from proactive_engine.session import SessionState

T0 = datetime(2026, 3, 14, 10, 0, tzinfo=UTC)


def live(session_id: str, partition: int = 0, idle_minutes: float = 0) -> LiveSession:
    state = SessionState(session_id=session_id, last_at=T0 - timedelta(minutes=idle_minutes))
    return LiveSession(state, partition)


def owned_with(*sessions: LiveSession) -> OwnedSessions:
    owned = OwnedSessions(rules=[])  # no rules: deadlines come only from `schedule(at=...)`
    for partition in {s.partition for s in sessions}:
        owned.assign(partition, [s for s in sessions if s.partition == partition])
    return owned


# (session number, minute of its new deadline, or None to clear it)
moves = st.lists(
    st.tuples(st.integers(0, 9), st.one_of(st.none(), st.integers(0, 60))), max_size=300
)


@settings(max_examples=200, deadline=None)
@given(moves=moves, now_minute=st.integers(0, 60), limit=st.integers(1, 12))
def test_pop_due_gives_each_due_session_once_earliest_first(
    moves: list[tuple[int, int | None]], now_minute: int, limit: int
) -> None:
    sessions = [live(f"s{n}") for n in range(10)]
    owned = owned_with(*sessions)
    latest: dict[str, datetime | None] = {}
    for n, minute in moves:
        at = None if minute is None else T0 + timedelta(minutes=minute)
        if at is None:
            sessions[n].due_at = None  # what firing does before rules clear a deadline
        else:
            owned.schedule(sessions[n], at=at)
        latest[f"s{n}"] = at
    now = T0 + timedelta(minutes=now_minute)
    expected = sorted((at, s) for s, at in latest.items() if at is not None and at <= now)

    popped = []
    while batch := owned.pop_due(now, limit):
        assert len(batch) <= limit
        popped += [(s.due_at, s.session_id) for s in batch]
        assert all(s.due_at is None for s in batch)  # out of the heap until scheduled again

    assert [s for _, s in popped] == [s for _, s in expected]


@settings(max_examples=200, deadline=None)
@given(
    moves=moves, now_minute=st.integers(0, 60), popped=st.integers(0, 5), mark=st.integers(0, 60)
)
def test_due_count_is_the_sessions_past_the_mark_or_being_fired(
    moves: list[tuple[int, int | None]], now_minute: int, popped: int, mark: int
) -> None:
    sessions = [live(f"s{n}") for n in range(10)]
    owned = owned_with(*sessions)
    for n, minute in moves:
        if minute is None:
            sessions[n].due_at = None
        else:
            owned.schedule(sessions[n], at=T0 + timedelta(minutes=minute))
    if popped:  # a round in progress: its sessions are being fired, out of the heap
        owned.pop_due(T0 + timedelta(minutes=now_minute), popped)
    at = T0 + timedelta(minutes=mark)

    scanned = sum(  # what the count was before it walked the heap: every session looked at
        1 for s in sessions if s.fires_at is not None or (s.due_at is not None and s.due_at <= at)
    )

    assert owned.due_count(at) == scanned
    assert owned.due_count(None) == sum(1 for s in sessions if s.fires_at is not None)


def test_many_moves_of_one_deadline_do_not_grow_the_heap_without_bound() -> None:
    session = live("busy")
    owned = owned_with(session)
    for minute in range(20_000):
        owned.schedule(session, at=T0 + timedelta(seconds=minute))
    assert len(owned._heap) < 2_000
    assert [s.session_id for s in owned.pop_due(T0 + timedelta(days=1), 10)] == ["busy"]


def test_a_suspended_partition_fires_nothing_and_keeps_its_sessions_when_it_comes_back() -> None:
    kept, moved = live("kept", partition=0), live("moved", partition=1)
    owned = owned_with(kept, moved)
    for session in (kept, moved):
        owned.schedule(session, at=T0)

    owned.suspend([0, 1])
    assert owned.pop_due(T0, 10) == []
    assert not owned.owns(0)
    to_load = owned.resume([0, 2])

    assert to_load == [2]
    assert owned.owns(0)
    assert not owned.owns(1)
    assert owned.session("kept", 0) is kept
    assert [s.session_id for s in owned.pop_due(T0, 10)] == ["kept"]


def test_forget_idle_keeps_sessions_with_a_deadline_unsaved_changes_or_recent_activity() -> None:
    idle, pending, dirty, recent = (
        live("idle", idle_minutes=90),
        live("pending", idle_minutes=90),
        live("dirty", idle_minutes=90),
        live("recent", idle_minutes=10),
    )
    owned = owned_with(idle, pending, dirty, recent)
    owned.schedule(pending, at=T0 + timedelta(minutes=5))
    owned.mark_dirty(dirty)

    assert owned.forget_idle(T0 - timedelta(hours=1)) == 1
    assert sorted(owned.sessions) == ["dirty", "pending", "recent"]


def test_a_session_changed_while_it_was_being_stored_stays_marked_for_the_next_checkpoint() -> None:
    quiet, busy = live("quiet"), live("busy")
    owned = owned_with(quiet, busy)
    owned.mark_dirty(quiet)
    owned.mark_dirty(busy)
    noted = [(s, s.changes) for s in owned.dirty(0)]
    owned.mark_dirty(busy)  # a batch folds into it while the checkpoint writes

    owned.saved(noted)

    assert [s.session_id for s in owned.dirty(0)] == ["busy"]
    assert not quiet.dirty

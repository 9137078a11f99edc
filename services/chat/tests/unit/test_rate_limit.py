"""The token bucket, pure: a burst at once, then the rate; a refusal says how long to wait."""

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from chat.rate_limit import Bucket, Rate, take

T0 = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


def test_a_burst_goes_through_then_one_call_per_refill() -> None:
    rate = Rate(per_minute=6, burst=3)  # a token every 10 s
    bucket = None
    verdicts = []
    for _ in range(4):
        bucket, verdict = take(bucket, rate, T0)
        verdicts.append(verdict)

    assert [v.allowed for v in verdicts] == [True, True, True, False]
    assert verdicts[-1].retry_after == 10
    assert bucket is not None
    _, later = take(bucket, rate, T0 + timedelta(seconds=9))
    assert (later.allowed, later.retry_after) == (False, 1)
    _, refilled = take(bucket, rate, T0 + timedelta(seconds=10))
    assert refilled.allowed


def test_a_clock_going_back_refills_nothing() -> None:
    rate = Rate(per_minute=60, burst=1)
    bucket, _ = take(None, rate, T0)
    after, verdict = take(bucket, rate, T0 - timedelta(minutes=5))
    assert (verdict.allowed, after.at) == (False, T0)


@given(
    gaps=st.lists(st.floats(min_value=0, max_value=30), min_size=1, max_size=60),
    per_minute=st.floats(min_value=1, max_value=600),
    burst=st.integers(min_value=1, max_value=20),
)
def test_calls_allowed_never_exceed_the_burst_plus_the_refill(
    gaps: list[float], per_minute: float, burst: int
) -> None:
    rate = Rate(per_minute, burst)
    bucket: Bucket | None = None
    now, allowed = T0, 0
    for gap in gaps:
        now += timedelta(seconds=gap)
        bucket, verdict = take(bucket, rate, now)
        allowed += verdict.allowed
        assert verdict.allowed or verdict.retry_after >= 1
        assert 0 <= bucket.tokens <= burst
    elapsed = (now - T0).total_seconds()
    assert allowed <= burst + elapsed * rate.per_second + 1e-9

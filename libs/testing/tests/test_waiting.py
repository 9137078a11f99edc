"""`eventually` retries a check until it passes, and fails with the check's own assertion."""

import pytest

from cc_testing import eventually


def test_eventually_returns_what_the_check_returned_once_it_passes() -> None:
    calls: list[int] = []

    def check() -> int:
        calls.append(1)
        assert len(calls) >= 3
        return len(calls)

    assert eventually(check, seconds=5, interval=0.01) == 3


def test_eventually_fails_with_the_last_assertion_and_its_values() -> None:
    seen: list[int] = []

    def check() -> None:
        seen.append(len(seen))
        assert seen[-1] < 0

    with pytest.raises(AssertionError, match=r"assert \d+ < 0"):
        eventually(check, seconds=0.05, interval=0.01)


def test_eventually_does_not_retry_an_error_that_is_not_an_assertion() -> None:
    calls: list[int] = []

    def check() -> None:
        calls.append(1)
        raise KeyError("broken")

    with pytest.raises(KeyError):
        eventually(check, seconds=5, interval=0.01)
    assert calls == [1]

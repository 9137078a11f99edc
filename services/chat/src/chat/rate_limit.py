"""Token buckets, pure: a bucket holds up to `burst` tokens and gains `per_minute` a minute; a
call takes one, or is refused with how long until one is back (HTTP 429 and Retry-After).

The buckets live in PostgreSQL (`repository.PostgresBuckets`): every instance of chat counts
the same calls, and a restart forgets nothing. Memory would be one round trip cheaper but
counts per process, and the desk runs several instances next."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol


@dataclass(frozen=True)
class Rate:
    per_minute: float
    burst: int

    @property
    def per_second(self) -> float:
        return self.per_minute / 60


@dataclass(frozen=True)
class Bucket:
    tokens: float
    at: datetime


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int  # whole seconds until a token is back (0 when allowed)


class RateLimited(Exception):
    """Too many calls (HTTP 429); the message is the reason, `retry_after` in seconds."""

    def __init__(self, reason: str, retry_after: int) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


def take(bucket: Bucket | None, rate: Rate, now: datetime) -> tuple[Bucket, Verdict]:
    """The bucket after one call at `now`, and whether the call may go on. A clock going back
    (another instance's) refills nothing."""
    if bucket is None:
        bucket = Bucket(float(rate.burst), now)
    elapsed = max((now - bucket.at).total_seconds(), 0.0)
    level = min(float(rate.burst), bucket.tokens + elapsed * rate.per_second)
    at = max(now, bucket.at)
    if level >= 1:
        return Bucket(level - 1, at), Verdict(True, 0)
    wait = math.ceil((1 - level) / rate.per_second) if rate.per_second > 0 else 3600
    return Bucket(level, at), Verdict(False, max(wait, 1))


def idle_after(rate: Rate) -> timedelta:
    """How long after its last call a bucket is full again, so forgetting it changes nothing."""
    return timedelta(seconds=rate.burst / rate.per_second) if rate.per_second > 0 else timedelta(1)


class Buckets(Protocol):
    async def take(self, key: str, rate: Rate, now: datetime) -> Verdict: ...


@dataclass(frozen=True)
class Limiter:
    """The customer side's limits: each chat's writes, and each client's public calls (the
    widget's start and invitation), by the client's address."""

    buckets: Buckets
    per_chat: Rate
    per_client: Rate

    async def chat(self, chat_id: str, now: datetime) -> None:
        await self._check(f"chat:{chat_id}", self.per_chat, now, "this chat")

    async def client(self, address: str, now: datetime) -> None:
        await self._check(f"client:{address}", self.per_client, now, "this address")

    async def _check(self, key: str, rate: Rate, now: datetime, whose: str) -> None:
        verdict = await self.buckets.take(key, rate, now)
        if not verdict.allowed:
            raise RateLimited(
                f"too many calls for {whose}: at most {rate.per_minute:g} a minute "
                f"({rate.burst} at once); try again in {verdict.retry_after} s",
                verdict.retry_after,
            )

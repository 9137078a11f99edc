"""The engine's configuration file (TOML): rules of engagement, priorities and each rule's
thresholds, validated with pydantic. A rule's block is validated by the rule's own model."""

from __future__ import annotations

import tomllib
from datetime import timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from cc_schemas import ContactPriority

DEFAULT_RULES_FILE = Path(__file__).with_name("rules.toml")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Engagement(Strict):
    session_alive_minutes: float = Field(30, gt=0)
    throttle_hours: float = Field(24, gt=0)

    @property
    def session_alive(self) -> timedelta:
        return timedelta(minutes=self.session_alive_minutes)

    @property
    def throttle(self) -> timedelta:
        return timedelta(hours=self.throttle_hours)


class Priorities(Strict):
    high_cart_value_cents: int = Field(10_000, ge=0)
    urgent_cart_value_cents: int = Field(30_000, ge=0)
    vip_segments: tuple[str, ...] = ("vip",)
    struggle_minutes: float = Field(20, gt=0)


class RuleConfig(Strict):
    """What every rule's block carries; rules extend it with their thresholds."""

    enabled: bool = True
    priority: ContactPriority = ContactPriority.NORMAL
    expires_minutes: float = Field(30, gt=0)

    @property
    def expires(self) -> timedelta:
        return timedelta(minutes=self.expires_minutes)


class EngineConfig(Strict):
    engagement: Engagement = Engagement()
    priorities: Priorities = Priorities()
    rules: dict[str, dict[str, Any]] = Field(default_factory=dict)


def load_config(path: Path | None = None) -> EngineConfig:
    with (path or DEFAULT_RULES_FILE).open("rb") as file:
        return EngineConfig.model_validate(tomllib.load(file))

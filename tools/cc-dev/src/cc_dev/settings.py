"""Where cc-dev finds the platform: the same `CC_*` variables the services read."""

from typing import Any, ClassVar

from pydantic import ValidationError
from pydantic_settings import SettingsConfigDict

from cc_dev.errors import UsageError
from cc_runtime import ServiceSettings


class DevSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CC_DEV_", extra="ignore")

    service_name: ClassVar[str] = "cc-dev"


def settings_for(bootstrap_servers: str | None, namespace: str | None) -> DevSettings:
    """Environment defaults, overridden by what the command line gave."""
    overrides: dict[str, Any] = {}
    if bootstrap_servers:
        overrides["CC_KAFKA_BOOTSTRAP_SERVERS"] = bootstrap_servers
    if namespace is not None:
        overrides["CC_NAMESPACE"] = namespace
    try:
        return DevSettings(**overrides)
    except ValidationError as error:
        raise UsageError(f"bad setting: {error.errors()[0]['msg']} ({namespace=!r})") from None

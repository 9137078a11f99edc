from typing import ClassVar

import pytest
from pydantic import ValidationError
from pydantic_settings import SettingsConfigDict

from cc_runtime import ServiceSettings


class BillingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BILLING_", extra="ignore")
    service_name: ClassVar[str] = "billing-desk"


def test_without_a_namespace_names_are_the_logical_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CC_NAMESPACE", raising=False)
    settings = BillingSettings()

    assert settings.topic("call-events") == "call-events"
    assert settings.consumer_group == "billing-desk"
    assert settings.postgres_schema == "billing_desk"


def test_a_namespace_isolates_topics_groups_and_schemas(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CC_NAMESPACE", "t42")
    settings = BillingSettings()

    assert settings.topic("call-events") == "t42.call-events"
    assert settings.consumer_group == "t42.billing-desk"
    assert settings.postgres_schema == "t42_billing_desk"


def test_shared_and_service_variables_are_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CC_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:19092")
    monkeypatch.setenv("BILLING_HTTP_PORT", "8123")
    monkeypatch.setenv("CC_POSTGRES_URL", "postgresql://desk:secret@db.example:5432/platform")

    settings = BillingSettings()

    assert settings.kafka_bootstrap_servers == "127.0.0.1:19092"
    assert settings.postgres_url == "postgresql://desk:secret@db.example:5432/platform"
    assert settings.http_port == 8123


def test_a_namespace_that_cannot_name_a_database_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CC_NAMESPACE", "My Tests!")

    with pytest.raises(ValidationError, match="CC_NAMESPACE"):
        BillingSettings()


def test_an_unknown_keyword_argument_is_refused_not_ignored() -> None:
    """The environment variable's name, passed as an argument, used to leave the default."""
    with pytest.raises(TypeError, match="BILLING_HTTP_PORT"):
        BillingSettings(BILLING_HTTP_PORT=8123)


def test_fields_are_set_by_name_and_shared_ones_by_their_variable() -> None:
    settings = BillingSettings(http_port=8123, CC_NAMESPACE="t7")

    assert settings.http_port == 8123
    assert settings.namespace == "t7"

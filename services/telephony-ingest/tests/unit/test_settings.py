"""Settings refuse weak credentials outside development: the webhook secret must be set and at
least 32 bytes long, and the service does not start without it. (The imports take an
administrator's bearer token: cc_runtime's sign-in settings, not these.)"""

import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from telephony_ingest.settings import Settings

STRONG = "x" * 32


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ENVIRONMENT", "WEBHOOK_SECRET", "AMI_HOST", "AMI_SECRET"):
        monkeypatch.delenv(f"TELEPHONY_INGEST_{name}", raising=False)


@pytest.mark.parametrize("environment", ["production", "test"])
@pytest.mark.parametrize(
    ("secret", "reason"),
    [
        (None, "TELEPHONY_INGEST_WEBHOOK_SECRET must be set"),
        ("", "TELEPHONY_INGEST_WEBHOOK_SECRET must be set"),
        ("change-me", "TELEPHONY_INGEST_WEBHOOK_SECRET must be set"),
        ("x" * 31, "TELEPHONY_INGEST_WEBHOOK_SECRET must be at least 32 bytes"),
    ],
)
def test_an_empty_placeholder_or_short_webhook_secret_is_refused_outside_development(
    monkeypatch: pytest.MonkeyPatch, environment: str, secret: str | None, reason: str
) -> None:
    monkeypatch.setenv("TELEPHONY_INGEST_ENVIRONMENT", environment)
    if secret is not None:
        monkeypatch.setenv("TELEPHONY_INGEST_WEBHOOK_SECRET", secret)

    with pytest.raises(ValidationError, match=reason):
        Settings()


def test_a_secret_of_32_bytes_is_accepted_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEPHONY_INGEST_ENVIRONMENT", "production")
    monkeypatch.setenv("TELEPHONY_INGEST_WEBHOOK_SECRET", "é" * 16)  # 32 bytes, 16 characters

    settings = Settings()

    assert settings.webhook_secret.get_secret_value() == "é" * 16


def test_development_runs_with_the_placeholder_secret() -> None:
    settings = Settings()

    assert settings.webhook_secret.get_secret_value() == "change-me"


def test_the_service_refuses_to_start_in_production_with_a_short_secret_naming_the_variable(
    tmp_path: Path,
) -> None:
    executable = Path(sys.executable).with_name("cc-telephony-ingest")
    environment = {
        "PATH": "/usr/bin:/bin",
        "TELEPHONY_INGEST_ENVIRONMENT": "production",
        "TELEPHONY_INGEST_WEBHOOK_SECRET": "short",
        # Nothing must be reached: the settings are refused before any connection.
        "CC_KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1",
        "CC_POSTGRES_URL": "postgresql://nobody:nothing@127.0.0.1:1/none",
    }

    finished = subprocess.run(  # noqa: S603
        [str(executable)], env=environment, capture_output=True, text=True, timeout=60, cwd=tmp_path
    )

    assert finished.returncode != 0
    assert "TELEPHONY_INGEST_WEBHOOK_SECRET must be at least 32 bytes" in finished.stderr

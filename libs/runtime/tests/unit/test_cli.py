"""A service's command line: `--help` prints what it does and every variable it reads with its
default (never a secret's) and exits 0; an unknown argument exits 2 with the usage."""

from typing import ClassVar, Literal

import pytest
from fastapi import FastAPI
from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from cc_runtime import ServiceSettings, run_service


class DeskSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="DESK_", extra="ignore")
    service_name: ClassVar[str] = "desk"
    http_port: int = 8099
    mode: Literal["calm", "busy"] = Field("calm", description="How the desk works.")
    store_url: str = Field("postgresql://desk:s3cret-pw@127.0.0.1:5432/desk")
    api_token: SecretStr = SecretStr("hunter2-hunter2")
    greeting: str | None = None


def never_started(settings: DeskSettings) -> FastAPI:
    raise AssertionError("--help and bad arguments must not build or start the service")


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exited:
        run_service(DeskSettings, never_started, argv)
    out, err = capsys.readouterr()
    return int(exited.value.code or 0), out, err


def test_help_lists_every_variable_with_its_default_and_meaning_and_exits_0(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(["--help"], capsys)

    assert code == 0
    assert out.startswith("usage: cc-desk [-h]")
    lines = out.splitlines()
    for expected in (
        "  CC_KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:9092",
        "      Kafka brokers, host:port[,host:port...].",
        "  CC_CONSUMER_MAX_ATTEMPTS=3",
        "  DESK_HTTP_HOST=127.0.0.1",
        "  DESK_HTTP_PORT=8099",
        "      Port the HTTP server listens on.",
        "  DESK_MODE=calm",
        "      How the desk works. One of: calm, busy.",
        "  DESK_GREETING=<unset>",
    ):
        assert expected in lines


def test_help_never_shows_a_secrets_default_nor_a_password_in_a_url(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, out, _ = run(["--help"], capsys)

    assert "  DESK_API_TOKEN=<secret, not shown>" in out.splitlines()
    assert "  DESK_STORE_URL=postgresql://desk:***@127.0.0.1:5432/desk" in out.splitlines()
    assert "hunter2" not in out
    assert "s3cret-pw" not in out


@pytest.mark.parametrize("argv", [["--port", "9000"], ["serve"], ["-x"]])
def test_an_unknown_argument_exits_2_with_the_usage(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(argv, capsys)

    assert code == 2
    assert out == ""
    assert err.startswith("usage: cc-desk [-h]")
    assert "unrecognized arguments" in err

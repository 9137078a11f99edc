"""Bad arguments and bad files give a clear message and the documented exit code, before any
broker is contacted (the broker address given is unreachable on purpose)."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from cc_dev.cli import app

runner = CliRunner()
NOWHERE = ["-b", "127.0.0.1:1"]


def test_every_command_has_help() -> None:
    for command in (
        ["--help"],
        ["topics", "--help"],
        ["topics", "create", "--help"],
        ["record", "--help"],
        ["replay", "--help"],
    ):
        result = runner.invoke(app, command)
        assert result.exit_code == 0, command
        assert "Usage" in result.output


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["replay", "x.jsonl", "--speed", "0"], "--speed must be greater than 0"),
        (["replay", "x.jsonl", "--shift-to-now", "--shift-to", "2025-01-01"], "not both"),
        (["replay", "x.jsonl", "--since", "last tuesday"], "not an ISO 8601 time"),
        (["record", "call-events", "-o", "x.jsonl", "--until", "soon"], "not an ISO 8601 time"),
        (["topics", "--namespace", "Bad-Name"], "bad setting"),
    ],
)
def test_a_bad_argument_exits_with_2_and_says_why(arguments: list[str], message: str) -> None:
    result = runner.invoke(app, [*arguments, *NOWHERE])

    assert result.exit_code == 2
    assert message in result.output


@pytest.mark.parametrize(
    ("credentials", "message"),
    [
        ([], "needs a bearer token: give --token"),
        (["--client-id", "services"], "give both --client-id and --client-secret"),
        (["--client-secret", "s3cret"], "give both --client-id and --client-secret"),
    ],
)
@pytest.mark.parametrize("command", ["import-queue-log", "import-customers"])
def test_an_import_without_a_whole_credential_exits_with_2_before_sending_anything(
    monkeypatch: pytest.MonkeyPatch, command: str, credentials: list[str], message: str
) -> None:
    for name in ("CC_DEV_TOKEN", "CC_DEV_CLIENT_ID", "CC_DEV_CLIENT_SECRET"):
        monkeypatch.delenv(name, raising=False)

    result = runner.invoke(app, [command, "f.csv", "--url", "http://127.0.0.1:1", *credentials])

    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split())


def test_a_token_from_an_unreachable_issuer_exits_with_5(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CC_DEV_TOKEN", raising=False)
    credentials = ["--client-id", "services", "--client-secret", "s3cret"]

    result = runner.invoke(
        app, ["import-queue-log", "f", *credentials, "--issuer", "http://127.0.0.1:1/realms/x"]
    )

    assert result.exit_code == 5, result.output
    assert "127.0.0.1:1/realms/x/.well-known/openid-configuration" in result.output


def test_a_missing_required_argument_exits_with_2() -> None:
    assert runner.invoke(app, ["record", "call-events"]).exit_code == 2


def test_replaying_a_file_that_is_not_a_recording_exits_with_3(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("dear diary\n")

    result = runner.invoke(app, ["replay", str(path), *NOWHERE])

    assert result.exit_code == 3
    assert "line 1: not a recorded message" in result.output


def test_an_unreachable_broker_exits_with_4() -> None:
    result = runner.invoke(app, ["topics", *NOWHERE])

    assert result.exit_code == 4
    assert "127.0.0.1:1" in result.output

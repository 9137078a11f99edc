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

"""Every service's console script, run as an operator would: `--help` prints what the service
does and the variables it reads, and exits 0 without starting anything; an unknown argument
exits 2 with the usage. The scripts are the ones each service's pyproject.toml declares."""

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from cc_testing import free_ports

SERVICES = Path(__file__).resolve().parents[1] / "services"
SCRIPTS = sorted(
    script
    for project in SERVICES.glob("*/pyproject.toml")
    for script in tomllib.loads(project.read_text())["project"]["scripts"]
)
# A service that ignored `--help` would start: it would wait for this broker until the timeout.
SECONDS = 30


def run(script: str, *arguments: str) -> subprocess.CompletedProcess[str]:
    executable = Path(sys.executable).with_name(script)
    prefix = script.removeprefix("cc-").upper().replace("-", "_")
    (port,) = free_ports(1)
    env = {
        "PATH": str(executable.parent),
        "CC_KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1",
        "CC_POSTGRES_URL": "postgresql://u:p@127.0.0.1:1/db",
        f"{prefix}_HTTP_PORT": str(port),
    }
    return subprocess.run(
        [str(executable), *arguments],
        env=env,
        capture_output=True,
        text=True,
        timeout=SECONDS,
        check=False,
    )


def test_every_service_declares_its_console_script() -> None:
    assert SCRIPTS == [
        "cc-chat",
        "cc-claims",
        "cc-crm",
        "cc-knowledge",
        "cc-kpi",
        "cc-proactive-engine",
        "cc-telephony-ingest",
    ]


@pytest.mark.parametrize("script", SCRIPTS)
def test_help_prints_what_the_service_does_and_its_settings_and_exits_0(script: str) -> None:
    done = run(script, "--help")

    assert (done.returncode, done.stderr) == (0, "")
    prefix = script.removeprefix("cc-").upper().replace("-", "_")
    lines = done.stdout.splitlines()
    assert lines[0] == f"usage: {script} [-h]"
    assert lines[2]  # the package's description: what the service does
    for expected in (
        "  CC_KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:9092",
        "  CC_POSTGRES_URL=postgresql://contact_centre:***@127.0.0.1:5432/contact_centre",
        "  CC_LOG_LEVEL=INFO",
        f"  {prefix}_HTTP_HOST=127.0.0.1",
    ):
        assert expected in lines
    assert any(line.startswith(f"  {prefix}_HTTP_PORT=80") for line in lines)
    assert "change-me" not in done.stdout  # no secret's default


@pytest.mark.parametrize("script", SCRIPTS)
def test_an_unknown_argument_exits_2_with_the_usage(script: str) -> None:
    done = run(script, "--port", "9000")

    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith(f"usage: {script} [-h]")
    assert "unrecognized arguments: --port 9000" in done.stderr

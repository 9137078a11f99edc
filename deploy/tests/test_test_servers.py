"""deploy/local/test-servers, which `make pytest` runs the suite under: the servers it starts
answer inside the command as CC_TEST_*, and are stopped and removed after it, whose exit status
it returns; servers given in the environment are used as they are."""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

TEST_SERVERS = Path(__file__).resolve().parents[1] / "local" / "test-servers"
# The command: says which servers it was given, whether they answer, and exits 3.
COMMAND = """
import os, socket, sys, urllib.parse
kafka, postgres = os.environ["CC_TEST_KAFKA_BOOTSTRAP_SERVERS"], os.environ["CC_TEST_POSTGRES_URL"]
def answers(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
        return True
    except OSError:
        return False
ports = (int(kafka.rsplit(":", 1)[1]), urllib.parse.urlsplit(postgres).port)
print(kafka, postgres, *map(answers, ports), "CC_STATE_DIR" in os.environ)
sys.exit(3)
"""

pytestmark = pytest.mark.infra


@pytest.fixture
def scratch() -> Iterator[Path]:
    directory = Path(tempfile.mkdtemp(prefix="cc-test-servers-test-"))
    directory.chmod(0o711)  # the server's user (`postgres` when run as root) enters it
    try:
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def run(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - fixed arguments
        [str(TEST_SERVERS), sys.executable, "-c", COMMAND],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def answers(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
    except OSError:
        return False
    return True


def test_servers_given_in_the_environment_are_used_as_they_are() -> None:
    env = {
        **os.environ,
        "CC_TEST_KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1",
        "CC_TEST_POSTGRES_URL": "postgresql://u:p@127.0.0.1:2/d",
    }

    done = run(env)

    assert (done.returncode, done.stdout.split()) == (
        3,
        ["127.0.0.1:1", "postgresql://u:p@127.0.0.1:2/d", "False", "False", "False"],
    )
    assert "[stack]" not in done.stderr


def test_the_servers_it_starts_answer_inside_the_command_and_are_gone_after_it(
    scratch: Path,
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CC_TEST_")}
    env["TMPDIR"] = str(scratch)  # where it keeps their state

    done = run(env)

    assert done.returncode == 3, done.stderr
    kafka, postgres, *seen = done.stdout.split()
    assert seen == ["True", "True", "False"]  # both answered; the stack's variables stay out
    assert (answers(int(kafka.rsplit(":", 1)[1])), answers(urlsplit(postgres).port or 0)) == (
        False,
        False,
    )
    assert list(scratch.iterdir()) == []

"""Two instances of chat behind Debian's HAProxy (deploy/haproxy/chat.cfg), each its own
process on the real broker and PostgreSQL. A customer talking to one instance and an operator
to the other hear each other; then one instance is killed with SIGKILL mid-chat and both sides
go on through the balancer: every message is stored and published once, in order, and each
side reads the whole conversation once (the way the widget and the console do: a message sent
again with its own message_id after a failure, `?after=` the last one seen)."""

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from cc_schemas import CHAT_EVENTS, ChatMessageSent, parse
from cc_testing import Servers, TestIssuer, free_ports, read_records
from cc_testing.processes import RunningService, wait_ready

pytestmark = pytest.mark.infra

ISSUER = TestIssuer()
CONFIG = Path(__file__).parents[1] / "deploy/haproxy/chat.cfg"


def operator() -> dict[str, str]:
    return ISSUER.bearer(["operator"], subject="anna-sub")


def start_chat(port: int, env: dict[str, str], log_dir: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [str(Path(sys.executable).with_name("cc-chat"))],
        env={**os.environ, **env, "CHAT_HTTP_HOST": "127.0.0.1", "CHAT_HTTP_PORT": str(port)},
        stdout=(log_dir / f"chat-{port}.log").open("wb"),
        stderr=subprocess.STDOUT,
    )


def ready(process: subprocess.Popen[bytes], port: int, log_dir: Path) -> None:
    wait_ready(
        RunningService("chat", f"http://127.0.0.1:{port}", log_dir / f"chat-{port}.log"),
        process,
        90,
    )


@pytest.fixture
def balanced(
    service_env: dict[str, str], tmp_path: Path
) -> Iterator[tuple[str, str, str, subprocess.Popen[bytes]]]:
    haproxy = shutil.which("haproxy")
    assert haproxy, (
        "HAProxy is not installed: make deps-debian (deploy/local/stack provision haproxy)"
    )
    first_port, second_port, balancer_port = free_ports(3)
    env = {**service_env, **ISSUER.env()}
    first = start_chat(first_port, env, tmp_path)  # both start at once
    second = start_chat(second_port, env, tmp_path)
    ready(first, first_port, tmp_path)
    ready(second, second_port, tmp_path)
    balancer = subprocess.Popen(
        [haproxy, "-db", "-f", str(CONFIG)],
        env={
            **os.environ,
            "CHAT_BALANCER_BIND": f"127.0.0.1:{balancer_port}",
            "CHAT_INSTANCE_1": f"127.0.0.1:{first_port}",
            "CHAT_INSTANCE_2": f"127.0.0.1:{second_port}",
        },
        stdout=(tmp_path / "haproxy.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        through = f"http://127.0.0.1:{balancer_port}"
        deadline = time.monotonic() + 20
        while not _answers(f"{through}/healthz"):
            assert time.monotonic() < deadline, (tmp_path / "haproxy.log").read_text()
            time.sleep(0.2)
        yield through, f"http://127.0.0.1:{first_port}", f"http://127.0.0.1:{second_port}", first
    finally:
        for process in (balancer, first, second):
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=15)


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def send(url: str, body: dict[str, str], headers: dict[str, str]) -> dict[str, object]:
    """As the widget and the console send: the same message (its id) again until answered."""
    for _ in range(40):
        try:
            answer = httpx.post(url, json=body, headers=headers, timeout=5)
        except httpx.HTTPError:
            time.sleep(0.25)
            continue
        if answer.status_code < 500:
            assert answer.status_code == 201, answer.text
            return dict(answer.json())
        time.sleep(0.25)
    raise AssertionError(f"never answered: {url}")


def read_after(url: str, after: int, headers: dict[str, str]) -> list[dict[str, object]]:
    for _ in range(40):
        try:
            answer = httpx.get(url, params={"after": after}, headers=headers, timeout=5)
        except httpx.HTTPError:
            time.sleep(0.25)
            continue
        if answer.status_code == 200:
            return list(answer.json()["messages"])
        time.sleep(0.25)
    raise AssertionError(f"never answered: {url}")


class Side:
    """One party's view, polling `?after=` the last message it saw, as the pages do."""

    def __init__(self, url: str, headers: dict[str, str]) -> None:
        self.url, self.headers, self.seen = url, headers, []  # type: ignore[var-annotated]

    def poll(self) -> None:
        last = self.seen[-1]["seq"] if self.seen else 0
        self.seen.extend(read_after(self.url, last, self.headers))

    def texts(self) -> list[str]:
        return [str(m["text"]) for m in self.seen]


def converse(balanced: tuple[str, str, str, subprocess.Popen[bytes]]) -> list[str]:
    """The chat of the test, as the two parties live it; what was said, in order."""
    through, first, second, first_process = balanced
    ticket = httpx.post(f"{first}/v1/widget/chats", json={}).json()
    chat_id, customer = ticket["chat_id"], {"Authorization": f"Chat {ticket['token']}"}
    assert httpx.post(f"{second}/v1/chats/{chat_id}/join", headers=operator()).status_code == 200

    # The customer on the first instance, the operator on the second.
    said: list[str] = []
    for n in range(3):
        text = f"customer {n}"
        send(f"{first}/v1/widget/messages", {"text": text, "message_id": f"c-{n}"}, customer)
        said.append(text)
        text = f"operator {n}"
        send(
            f"{second}/v1/chats/{chat_id}/messages",
            {"text": text, "message_id": f"o-{n}"},
            operator(),
        )
        said.append(text)
    on_second = Side(f"{second}/v1/chats/{chat_id}/messages", operator())
    on_first = Side(f"{first}/v1/widget/messages", customer)
    on_second.poll()
    on_first.poll()
    assert on_second.texts() == said
    assert on_first.texts() == said

    # Both through the balancer now; the first instance is killed between two messages.
    customer_side = Side(f"{through}/v1/widget/messages", customer)
    operator_side = Side(f"{through}/v1/chats/{chat_id}/messages", operator())
    customer_side.seen, operator_side.seen = list(on_first.seen), list(on_second.seen)
    for n in range(3, 9):
        if n == 5:
            first_process.send_signal(signal.SIGKILL)
            first_process.wait()
        text = f"customer {n}"
        send(f"{through}/v1/widget/messages", {"text": text, "message_id": f"c-{n}"}, customer)
        said.append(text)
        operator_side.poll()
        text = f"operator {n}"
        send(
            f"{through}/v1/chats/{chat_id}/messages",
            {"text": text, "message_id": f"o-{n}"},
            operator(),
        )
        said.append(text)
        customer_side.poll()
    operator_side.poll()
    customer_side.poll()

    assert operator_side.texts() == said  # everything, once, in order
    assert customer_side.texts() == said
    assert [m["seq"] for m in customer_side.seen] == list(range(1, len(said) + 1))

    return said


async def test_two_instances_behind_haproxy_survive_a_kill_mid_chat(
    balanced: tuple[str, str, str, subprocess.Popen[bytes]], servers: Servers, namespace: str
) -> None:
    said = await asyncio.to_thread(converse, balanced)
    records = await read_records(
        servers.kafka_bootstrap_servers,
        f"{namespace}.{CHAT_EVENTS}",
        until=lambda got: sum(b"message_sent" in r.value for r in got) >= len(said),
    )
    published = [parse(CHAT_EVENTS, r.value) for r in records]
    sent = [e.text for e in published if isinstance(e, ChatMessageSent)]
    assert sent == said  # published once each, in order

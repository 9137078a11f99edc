"""Services run as separate processes, the way they run in production."""

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx


@dataclass(frozen=True)
class RunningService:
    name: str
    url: str
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextlib.contextmanager
def service_process(
    name: str, port: int, env: Mapping[str, str], log_dir: Path, ready_timeout: float = 60.0
) -> Iterator[RunningService]:
    """Start `cc-<name>` on 127.0.0.1:`port`, wait for /readyz, stop it (SIGTERM) at the end."""
    prefix = name.upper().replace("-", "_")
    full_env = {
        **os.environ,
        **env,
        f"{prefix}_HTTP_HOST": "127.0.0.1",
        f"{prefix}_HTTP_PORT": str(port),
    }
    executable = Path(sys.executable).with_name(f"cc-{name}")
    log_path = log_dir / f"{name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603
            [str(executable)], env=full_env, stdout=log, stderr=subprocess.STDOUT
        )
    service = RunningService(name, f"http://127.0.0.1:{port}", log_path)
    try:
        wait_ready(service, process, ready_timeout)
        yield service
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_ready(service: RunningService, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{service.name} exited with {process.returncode}:\n{service.log()}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{service.url}/readyz", timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise TimeoutError(f"{service.name} not ready in {timeout}s:\n{service.log()}")

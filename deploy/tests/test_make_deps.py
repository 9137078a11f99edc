"""`make deps`: its provisioning steps run side by side, a failing step fails it, and with the
caches filled nothing is fetched or built again. Run on the Maven and Python steps, with
stand-ins for Maven and uv that take two seconds and log when they run (uv's only when its cache
is empty), and temporary caches."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
STEP_SECONDS = 2
# Not the Debian packages, which the stand-ins do not answer for; `uv sync` through a stand-in,
# since the real one would touch the environment running this test.
STEPS = "DEPS_STEPS=deps-maven deps-python"

# Stand-ins for the two slow steps, answering only what deploy/local/stack and the Makefile ask
# of them.
FAKE_MVN = """#!/usr/bin/env bash
echo "mvn start $(date +%s.%N)" >>"$RUNS"
[ -n "${FAIL_MVN:-}" ] && { echo "mvn: Maven Central unreachable" >&2; exit 1; }
sleep {seconds}
for arg in "$@"; do case "$arg" in -DoutputDirectory=*) out="${arg#*=}" ;; esac; done
touch "$out/kafka_2.13-$KAFKA_VERSION.jar"
echo "mvn end $(date +%s.%N)" >>"$RUNS"
"""
# `uv sync` downloads only into an empty cache; with its cache filled it is a quick no-op.
FAKE_UV = """#!/usr/bin/env bash
[ "$1" = sync ] || exit 2
[ -f "$UV_CACHE_DIR/filled" ] && exit 0
echo "uv start $(date +%s.%N)" >>"$RUNS"
sleep {seconds}
mkdir -p "$UV_CACHE_DIR" && touch "$UV_CACHE_DIR/filled"
echo "uv end $(date +%s.%N)" >>"$RUNS"
"""


def version(component: str) -> str:
    pom = (REPO / f"deploy/local/{component}/pom.xml").read_text()
    return pom.split(f"<{component}.version>")[1].split(f"</{component}.version>")[0]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    tools = tmp_path / "bin"
    tools.mkdir()
    # Keycloak's distribution (fetched through Maven, after Kafka's jars) as already cached.
    keycloak = tmp_path / "cache" / f"keycloak-{version('keycloak')}"
    keycloak.mkdir(parents=True)
    (keycloak / ".built-for-postgres").touch()
    for name, script in (("mvn", FAKE_MVN), ("uv", FAKE_UV)):
        (tools / name).write_text(script.replace("{seconds}", str(STEP_SECONDS)))
        (tools / name).chmod(0o755)
    # The machine's python3 (the one with uv), not this test's environment.
    venv = str(Path(sys.executable).parent)
    path = [p for p in os.environ["PATH"].split(os.pathsep) if p != venv]
    return {
        **os.environ,
        "PATH": os.pathsep.join([str(tools), *path]),
        "CC_CACHE_DIR": str(tmp_path / "cache"),
        "UV_CACHE_DIR": str(tmp_path / "uv-cache"),
        "RUNS": str(tmp_path / "runs.log"),
        "KAFKA_VERSION": version("kafka"),
        "UV_STAND_IN": str(tools / "uv"),
    }


def make_deps(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    make = shutil.which("make")
    assert make is not None
    return subprocess.run(  # noqa: S603 - fixed arguments
        [make, "--no-print-directory", "-C", str(REPO), "deps", STEPS, f"UV={env['UV_STAND_IN']}"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def runs(env: dict[str, str]) -> dict[str, float]:
    path = Path(env["RUNS"])
    lines = path.read_text().splitlines() if path.exists() else []
    return {f"{tool} {edge}": float(at) for tool, edge, at in (line.split() for line in lines)}


def test_kafkas_jars_and_the_python_packages_are_provisioned_side_by_side(
    env: dict[str, str],
) -> None:
    done = make_deps(env)

    assert done.returncode == 0, done.stdout + done.stderr
    times = runs(env)
    assert sorted(times) == ["mvn end", "mvn start", "uv end", "uv start"]
    # Each started before the other ended: they ran at the same time.
    assert times["uv start"] < times["mvn end"]
    assert times["mvn start"] < times["uv end"]


def test_with_the_caches_filled_nothing_is_fetched_or_built_again(env: dict[str, str]) -> None:
    assert make_deps(env).returncode == 0
    first = runs(env)

    again = make_deps(env)

    assert again.returncode == 0, again.stdout + again.stderr
    assert runs(env) == first


def test_a_failing_step_fails_deps_and_says_why(env: dict[str, str]) -> None:
    done = make_deps({**env, "FAIL_MVN": "1"})

    assert done.returncode != 0
    assert "mvn: Maven Central unreachable" in done.stderr

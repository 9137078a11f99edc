"""Signed webhook latency and throughput of telephony-ingest, run as its own process on the real
broker and database, driven by a compiled load generator (vegeta), next to the same server's
no-op `/healthz` under the same generator in the same run (the HTTP floor: what the server costs
before validation, signature, replay check and publish).

    uv run python bench/telephony_ingest_webhook.py [--rate 500] [--seconds 60]
        [--baseline-seconds 20] [--capacity-seconds 10] [--concurrency 16]

Phases: the capacity of each route, closed loop (`--concurrency` requests in flight, as many as
answered, `--capacity-seconds` each); then open loop at `--rate` requests/s (sent on schedule
whatever the answers take), `/healthz` for `--baseline-seconds` and the webhook for `--seconds`,
one single-event request each (`POST /v1/call-events`). Every webhook request carries its own
event, timestamp and HMAC signature, made before its phase (a signature is accepted once), and
vegeta reads them as JSON targets. Prints each phase's rate, p50, p99 and max, and ends with
`ratio: X.XX` = webhook / `/healthz` requests/s at capacity.

vegeta is installed on first use with `go install` from the Go module proxy into
`$CC_CACHE_DIR/vegeta-<version>` (default ~/.cache/contact-centre), like Kafka's jars.
Servers: CC_TEST_KAFKA_BOOTSTRAP_SERVERS / CC_TEST_POSTGRES_URL when set, else the harness starts
its own (cc_testing.real_servers).
"""

import argparse
import base64
import json
import os
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cc_testing import free_ports, real_servers, service_environment, service_process
from telephony_ingest.signing import sign

SECRET = "bench-webhook-secret-of-at-least-32-bytes"
VEGETA = "github.com/tsenart/vegeta/v12"
VEGETA_VERSION = "v12.13.0"


def vegeta_binary() -> Path:
    """vegeta from the project's cache, built there with `go install` the first time."""
    cache = Path(os.environ.get("CC_CACHE_DIR", Path.home() / ".cache" / "contact-centre"))
    directory = cache / f"vegeta-{VEGETA_VERSION}"
    binary = directory / "vegeta"
    if not binary.exists():
        directory.mkdir(parents=True, exist_ok=True)
        print(f"installing vegeta {VEGETA_VERSION} into {directory}", flush=True)
        subprocess.run(  # noqa: S603
            ["go", "install", f"{VEGETA}@{VEGETA_VERSION}"],  # noqa: S607
            env={**os.environ, "GOBIN": str(directory), "GOFLAGS": "-mod=mod"},
            check=True,
        )
    return binary


def call_offered(run: str, n: int) -> bytes:
    return json.dumps(
        {
            "event_id": f"bench-{run}-{n}",
            "event_type": "call.offered",
            "occurred_at": datetime.now(UTC).isoformat(),
            "source": "pbx-webhook",
            "call_id": f"1700000000.{n}",
            "queue": "sales",
            "caller": {"number_raw": "+39 02 1234 5678"},
            "position": 1,
        }
    ).encode()


def signed_targets(url: str, run: str, count: int, path: Path) -> Path:
    """`count` webhook requests, each its own event and signature, as vegeta's JSON targets."""
    with path.open("w") as out:
        for n in range(count):
            body = call_offered(run, n)
            timestamp = int(time.time())
            target = {
                "method": "POST",
                "url": f"{url}/v1/call-events",
                "body": base64.b64encode(body).decode(),
                "header": {
                    "Content-Type": ["application/json"],
                    "X-Timestamp": [str(timestamp)],
                    "X-Signature": [sign(SECRET, timestamp, body)],
                },
            }
            out.write(json.dumps(target) + "\n")
    return path


def healthz_targets(url: str, path: Path) -> Path:
    path.write_text(json.dumps({"method": "GET", "url": f"{url}/healthz"}) + "\n")
    return path


@dataclass(frozen=True)
class Result:
    name: str
    requests: int
    rate: float  # successful answers per second
    p50_ms: float
    p99_ms: float
    max_ms: float
    codes: dict[str, int]

    def line(self) -> str:
        return (
            f"{self.name:<34} {self.requests:>7,} requests {self.rate:>7,.0f} /s   "
            f"p50 {self.p50_ms:6.1f} ms   p99 {self.p99_ms:6.1f} ms   max {self.max_ms:7.1f} ms"
            f"   {self.codes}"
        )


def attack(
    vegeta: Path, name: str, targets: Path, seconds: float, rate: int, workers: int
) -> Result:
    """One vegeta attack: open loop at `rate`/s, or closed loop with `workers` when rate is 0."""
    pacing = ["-rate", f"{rate}/1s"] if rate else ["-rate", "0", "-workers", str(workers)]
    limits = [] if rate else ["-max-workers", str(workers)]
    with tempfile.NamedTemporaryFile(suffix=".bin") as results:
        command = [str(vegeta), "attack", "-format", "json", "-targets", str(targets)]
        timing = ["-duration", f"{seconds}s", "-timeout", "30s", "-output", results.name]
        subprocess.run([*command, *pacing, *limits, *timing], check=True)  # noqa: S603
        done = subprocess.run(  # noqa: S603
            [str(vegeta), "report", "-type", "json", results.name],
            check=True,
            capture_output=True,
            text=True,
        )
    report = json.loads(done.stdout)
    latencies = report["latencies"]
    return Result(
        name,
        report["requests"],
        report["throughput"],
        latencies["50th"] / 1e6,
        latencies["99th"] / 1e6,
        latencies["max"] / 1e6,
        report["status_codes"],
    )


def measure(url: str, args: argparse.Namespace, work: Path) -> float:
    vegeta = vegeta_binary()
    healthz = healthz_targets(url, work / "healthz.json")
    attack(vegeta, "warm-up", healthz, 3, 100, 0)
    run = uuid.uuid4().hex[:8]
    capacity_targets = signed_targets(url, run + "c", 1500 * args.capacity_seconds, work / "c.json")
    capacity, concurrency = args.capacity_seconds, args.concurrency
    floor = attack(vegeta, "/healthz, closed loop", healthz, capacity, 0, concurrency)
    print(floor.line(), flush=True)
    webhook = attack(vegeta, "webhook, closed loop", capacity_targets, capacity, 0, concurrency)
    print(webhook.line(), flush=True)
    at_rate = f"{args.rate}/s open loop"
    baseline = attack(vegeta, f"/healthz, {at_rate}", healthz, args.baseline_seconds, args.rate, 0)
    print(baseline.line())
    targets = signed_targets(url, run + "o", args.rate * args.seconds, work / "o.json")
    result = attack(vegeta, f"webhook, {at_rate}", targets, args.seconds, args.rate, 0)
    print(result.line())
    print(f"webhook p99 at {args.rate}/s: {result.p99_ms:.1f} ms (target < 50 ms)")
    print(
        f"open loop at {args.rate}/s, webhook / /healthz: p50 {result.p50_ms:.1f} / "
        f"{baseline.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} / {baseline.p99_ms:.1f} ms"
    )
    return webhook.rate / floor.rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, default=500)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--baseline-seconds", type=int, default=20)
    parser.add_argument("--capacity-seconds", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument(
        "--install-only", action="store_true", help="install vegeta into the cache and exit"
    )
    args = parser.parse_args()
    if args.install_only:  # `make deps-bench`
        print(f"vegeta: {vegeta_binary()}")
        return
    with real_servers() as servers, tempfile.TemporaryDirectory() as work:
        env = service_environment(servers, "bench_webhook_" + uuid.uuid4().hex[:8])
        env |= {"TELEPHONY_INGEST_WEBHOOK_SECRET": SECRET, "CC_LOG_LEVEL": "WARNING"}
        (port,) = free_ports(1)
        with service_process("telephony-ingest", port, env, Path(work)) as service:
            print(f"on {servers.origin} servers; PostgreSQL: {servers.postgres_origin}")
            ratio = measure(service.url, args, Path(work))
    print(f"ratio: {ratio:.2f}")


if __name__ == "__main__":
    main()

"""Command line of cc-dev (typer): translates arguments into requests and runs them, nothing
more. Exit codes are listed in `cc_dev.errors`."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import httpx
import typer
from rich.console import Console
from rich.table import Table

from cc_dev import errors, topics
from cc_dev.chat_customers import DEVELOPMENT_SHOP_SECRET, LiveChats
from cc_dev.credentials import ClientCredentials, bearer_token, credentials_from
from cc_dev.customers import import_customers
from cc_dev.errors import CliError
from cc_dev.ingest import DEVELOPMENT_SECRET, import_queue_log
from cc_dev.progress import Bar
from cc_dev.record import RecordRequest, record
from cc_dev.replay import ReplayRequest, replay
from cc_dev.settings import DevSettings, settings_for
from cc_dev.simulate import Pace, SimulateRequest, simulate
from cc_dev.simulation import PROFILES, CallParams, ShopParams, SimulationParams
from cc_dev.simulation.params import ServiceParams, today_at

T = TypeVar("T")

app = typer.Typer(
    help="Developer tool of the contact-centre platform: topics, record, replay, simulate, "
    "import-queue-log, import-customers. Exit codes: 0 done, 1 bug, 2 bad arguments, "
    "3 bad input file, "
    "4 Kafka unreachable or refusing, 5 HTTP endpoint unreachable or refusing, 130 interrupted.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
topics_app = typer.Typer(help="List the topics, or create the platform's topics.")
app.add_typer(topics_app, name="topics")

out = Console()
err = Console(stderr=True)

# An administrator's credentials, for the imports: a token, or a client that gets one.
Token = Annotated[
    str | None,
    typer.Option(
        envvar="CC_DEV_TOKEN",
        help="A bearer token granting admin; without one, cc-dev gets one with "
        "--client-id and --client-secret.",
        show_default=False,
    ),
]
ClientId = Annotated[
    str | None,
    typer.Option(
        envvar="CC_DEV_CLIENT_ID",
        help="A confidential client of the issuer whose service account holds admin (the "
        "demo realm's: services), to get a token with OAuth 2.0 client credentials.",
        show_default=False,
    ),
]
ClientSecret = Annotated[
    str | None,
    typer.Option(
        envvar="CC_DEV_CLIENT_SECRET",
        help="That client's secret (the demo realm's services client: services-dev-secret).",
        show_default=False,
    ),
]
Issuer = Annotated[
    str,
    typer.Option(envvar="CC_OIDC_ISSUER", help="The OpenID Connect issuer of the token."),
]
DEFAULT_ISSUER: str = DevSettings.model_fields["oidc_issuer"].default

Servers = Annotated[
    str | None,
    typer.Option(
        "--bootstrap-servers",
        "-b",
        envvar="CC_KAFKA_BOOTSTRAP_SERVERS",
        help="Kafka bootstrap servers (default 127.0.0.1:9092).",
        show_default=False,
    ),
]
Namespace = Annotated[
    str | None,
    typer.Option(
        "--namespace",
        "-n",
        envvar="CC_NAMESPACE",
        help="Namespace of topics and groups, as the services' CC_NAMESPACE (default none).",
        show_default=False,
    ),
]


def run(work: Coroutine[Any, Any, T]) -> T:
    """Run a command's coroutine; a CliError becomes its message and exit code."""
    # aiokafka logs every retry; what matters reaches the user as a KafkaError.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    try:
        return asyncio.run(work)
    except CliError as error:
        err.print(f"[bold red]error:[/] {error}", highlight=False)
        raise typer.Exit(error.exit_code) from None
    except KeyboardInterrupt:
        err.print("[yellow]interrupted[/]")
        raise typer.Exit(errors.INTERRUPTED) from None


def settings_or_exit(servers: str | None, namespace: str | None) -> DevSettings:
    try:
        return settings_for(servers, namespace)
    except CliError as error:
        err.print(f"[bold red]error:[/] {error}", highlight=False)
        raise typer.Exit(error.exit_code) from None


def parse_time(raw: str | None, option: str) -> datetime | None:
    """ISO 8601; a time without zone is taken as UTC."""
    if raw is None:
        return None
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        err.print(f"[bold red]error:[/] {option}: not an ISO 8601 time: {raw!r}", highlight=False)
        raise typer.Exit(errors.USAGE) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@topics_app.callback(invoke_without_command=True)
def topics_list(ctx: typer.Context, servers: Servers = None, namespace: Namespace = None) -> None:
    """List topics with partitions, message counts (end - start offsets) and consumer-group lag."""
    if ctx.invoked_subcommand is not None:
        return
    settings = settings_or_exit(servers, namespace)
    overview = run(topics.overview(settings))
    table = Table("topic", "partitions", "messages", title="topics")
    for row in overview.topics:
        table.add_row(row.topic, str(row.partitions), str(row.messages))
    out.print(table)
    lags = Table("group", "topic", "lag", title="consumer groups")
    for lag in overview.lags:
        lags.add_row(lag.group, lag.topic, str(lag.lag))
    out.print(lags)


@topics_app.command("create")
def topics_create(
    servers: Servers = None,
    namespace: Namespace = None,
    partitions: Annotated[
        int | None,
        typer.Option(min=1, help="Partitions of new topics (default CC_TOPIC_PARTITIONS or 6)."),
    ] = None,
) -> None:
    """Create every topic of the platform and its .dlq; those that exist are left alone."""
    settings = settings_or_exit(servers, namespace)
    created = run(topics.create_all(settings, partitions or settings.topic_partitions))
    for name in created:
        out.print(f"created {name}")
    total = len(topics.platform_topics(settings))
    out.print(f"{len(created)} created, {total - len(created)} already there")


@app.command("record")
def record_command(
    topic: Annotated[
        list[str], typer.Argument(help="Logical topic names, e.g. call-events cart-events.")
    ],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="File to write; gzip when it ends .gz.")
    ],
    servers: Servers = None,
    namespace: Namespace = None,
    since: Annotated[
        str | None, typer.Option(help="Start at this record time (ISO 8601, UTC if no zone).")
    ] = None,
    until: Annotated[str | None, typer.Option(help="Stop after this record time.")] = None,
    duration: Annotated[
        float | None,
        typer.Option(
            min=0,
            help="Keep recording what arrives for this many seconds (default: stop "
            "at the end offsets seen at the start).",
        ),
    ] = None,
) -> None:
    """Copy topics to a file of JSON lines: key, headers, partition, offset, timestamp, value."""
    settings = settings_or_exit(servers, namespace)
    request = RecordRequest(
        topics=topic,
        output=output,
        since=parse_time(since, "--since"),
        until=parse_time(until, "--until"),
        duration=duration,
    )
    with Bar("recording", err) as bar:
        written = run(record(settings, request, bar))
    out.print(f"recorded {written} messages to {output}")


@app.command("replay")
def replay_command(
    files: Annotated[list[Path], typer.Argument(help="Recording files (.jsonl or .jsonl.gz).")],
    servers: Servers = None,
    namespace: Namespace = None,
    speed: Annotated[
        float, typer.Option(help="Pace: 1 is the recorded pace, 10 ten times faster.")
    ] = 1.0,
    as_fast_as_possible: Annotated[
        bool, typer.Option("--as-fast-as-possible", help="Ignore the recorded pace.")
    ] = False,
    event_type: Annotated[
        list[str] | None,
        typer.Option("--event-type", "-t", help="Only these event types (repeatable)."),
    ] = None,
    since: Annotated[str | None, typer.Option(help="Only messages recorded from then.")] = None,
    until: Annotated[str | None, typer.Option(help="Only messages recorded until then.")] = None,
    shift_to_now: Annotated[
        bool,
        typer.Option(
            "--shift-to-now",
            help="Move occurred_at (and the other event times) so that the "
            "earliest event happens now.",
        ),
    ] = False,
    shift_to: Annotated[
        str | None, typer.Option(help="Like --shift-to-now, to a given time.")
    ] = None,
    fresh_ids: Annotated[
        bool, typer.Option("--fresh-ids", help="Give every event a new event_id.")
    ] = False,
    run_id: Annotated[
        str | None,
        typer.Option(help="Replay run whose fresh ids to reproduce (implies --fresh-ids)."),
    ] = None,
    by_key: Annotated[
        bool,
        typer.Option(
            "--by-key", help="Partition by key in the target, instead of the recorded partition."
        ),
    ] = False,
) -> None:
    """Send recordings back into a cluster, in time order, at the recorded pace or faster."""
    settings = settings_or_exit(servers, namespace)
    if speed <= 0:
        err.print("[bold red]error:[/] --speed must be greater than 0")
        raise typer.Exit(errors.USAGE)
    if shift_to_now and shift_to:
        err.print("[bold red]error:[/] give --shift-to-now or --shift-to, not both")
        raise typer.Exit(errors.USAGE)
    target = datetime.now(UTC) if shift_to_now else parse_time(shift_to, "--shift-to")
    the_run = run_id or (uuid.uuid4().hex if fresh_ids else None)
    request = ReplayRequest(
        files=files,
        speed=None if as_fast_as_possible else speed,
        event_types=frozenset(event_type or ()),
        since=parse_time(since, "--since"),
        until=parse_time(until, "--until"),
        shift_to=target,
        run_id=the_run,
        by_key=by_key,
    )
    with Bar("replaying", err) as bar:
        sent = run(replay(settings, request, bar))
    suffix = f" (run id {the_run})" if the_run else ""
    out.print(f"replayed {sent} messages{suffix}")


def main() -> None:
    app(prog_name="cc-dev")


@app.command("simulate")
def simulate_command(
    servers: Servers = None,
    namespace: Namespace = None,
    seed: Annotated[int, typer.Option(help="Same seed, same traffic.")] = 1,
    start: Annotated[
        str | None,
        typer.Option(help="Simulated start (ISO 8601, or 'now'); default today 08:00 UTC."),
    ] = None,
    hours: Annotated[float, typer.Option(min=0.01, help="Length of the simulated window.")] = 12.0,
    windows: Annotated[
        int, typer.Option(min=0, help="Windows one after the other (next seed each); 0: no end.")
    ] = 1,
    profile: Annotated[
        str, typer.Option(help=f"Hour-of-day profile of arrivals: {', '.join(PROFILES)}.")
    ] = "weekday",
    calls_per_day: Annotated[float, typer.Option(min=0, help="Calls on a full day.")] = 1200.0,
    agents: Annotated[int, typer.Option(min=0, help="Agents, in two shifts.")] = 22,
    sessions_per_day: Annotated[float, typer.Option(min=0, help="Shop sessions a day.")] = 3000.0,
    tickets_per_day: Annotated[float, typer.Option(min=0)] = 150.0,
    chats_per_day: Annotated[float, typer.Option(min=0)] = 300.0,
    emails_per_day: Annotated[float, typer.Option(min=0)] = 250.0,
    speed: Annotated[
        float, typer.Option(help="Simulated seconds per real second (60: a day in 24 min).")
    ] = 60.0,
    as_fast_as_possible: Annotated[bool, typer.Option("--as-fast-as-possible")] = False,
    max_rate: Annotated[
        float | None, typer.Option(min=0.001, help="At most this many events per second.")
    ] = None,
    duration: Annotated[
        float | None, typer.Option(min=0, help="Stop after this many real seconds.")
    ] = None,
    calls_via_webhook: Annotated[
        str | None,
        typer.Option(
            help="Send call and agent events through telephony-ingest's signed webhook at this "
            "base URL (e.g. http://127.0.0.1:8001) instead of straight to Kafka."
        ),
    ] = None,
    webhook_secret: Annotated[
        str,
        typer.Option(
            envvar="TELEPHONY_INGEST_WEBHOOK_SECRET",
            help="The webhook's shared secret.",
            show_default=False,
        ),
    ] = DEVELOPMENT_SECRET,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write a recording (for replay) instead of sending."),
    ] = None,
    answer_commands: Annotated[
        bool, typer.Option(help="Answer order-commands as the shop would while running.")
    ] = True,
    claims_url: Annotated[
        str | None,
        typer.Option(
            envvar="CC_DEV_CLAIMS_URL",
            help="Work the simulated claims through the claims tool's API at this base URL "
            "(e.g. http://127.0.0.1:8003; needs a token with the operator role) instead of "
            "publishing ticket events.",
        ),
    ] = None,
    chat_url: Annotated[
        str | None,
        typer.Option(
            envvar="CC_DEV_CHAT_URL",
            help="Play the customers of chat's live chats at this base URL (e.g. "
            "http://127.0.0.1:8006): they accept the chats operators open for their shop "
            "sessions, start some of their own, answer operators and rate the chats.",
        ),
    ] = None,
    shop_session_secret: Annotated[
        str,
        typer.Option(
            envvar="CHAT_SHOP_SESSION_SECRET",
            help="The secret the shop signs its session ids with for chat's widget.",
            show_default=False,
        ),
    ] = DEVELOPMENT_SHOP_SECRET,
    live_chat_every: Annotated[
        float,
        typer.Option(
            min=0,
            help="With --chat-url: a customer starts a live chat this often (wall seconds; "
            "0: never).",
        ),
    ] = 120.0,
    token: Token = None,
    client_id: ClientId = None,
    client_secret: ClientSecret = None,
    issuer: Issuer = DEFAULT_ISSUER,
) -> None:
    """Simulate the contact centre (PBX, shop, orders, claims, chats, e-mails, CSAT), seeded."""
    settings = settings_or_exit(servers, namespace)
    if profile not in PROFILES:
        err.print(f"[bold red]error:[/] --profile: one of {', '.join(PROFILES)}")
        raise typer.Exit(errors.USAGE)
    if speed <= 0:
        err.print("[bold red]error:[/] --speed must be greater than 0")
        raise typer.Exit(errors.USAGE)
    begin = (
        datetime.now(UTC).replace(microsecond=0)
        if start == "now"
        else parse_time(start, "--start") or today_at(8)
    )
    shape = PROFILES[profile]
    params = SimulationParams(
        seed=seed,
        start=begin,
        hours=hours,
        calls=CallParams(calls_per_day=calls_per_day, profile=shape, agents=agents),
        shop=ShopParams(sessions_per_day=sessions_per_day, profile=shape),
        service=ServiceParams(
            tickets_per_day=tickets_per_day,
            chats_per_day=chats_per_day,
            emails_per_day=emails_per_day,
        ),
    )
    request = SimulateRequest(
        params=params,
        pace=Pace(
            speed=None if as_fast_as_possible or output else speed,
            max_rate=max_rate,
            duration=duration,
        ),
        windows=windows,
        calls_webhook=calls_via_webhook,
        webhook_secret=webhook_secret,
        output=output,
        answer_commands=answer_commands and output is None,
        claims_url=None if output else claims_url,
        claims_token=_renewing(token, credentials_from(issuer, client_id, client_secret)),
        live_chats=LiveChats(
            chat_url,
            shop_secret=shop_session_secret,
            start_every_seconds=live_chat_every or None,
        )
        if chat_url and not output
        else None,
    )
    with Bar("simulating", err) as bar:
        sent = run(simulate(settings, request, bar))
    out.print(f"simulated {sent} events (seed {seed}, from {begin.isoformat()})")


def _renewing(token: str | None, client: ClientCredentials | None) -> Callable[[], str] | None:
    """A fresh token each call (the client's credentials), or the one given."""
    if not token and client is None:
        return None
    return lambda: bearer_token(token, client, timeout=30)


@app.command("import-queue-log")
def import_queue_log_command(
    file: Annotated[Path, typer.Argument(help="An Asterisk queue_log file.")],
    url: Annotated[
        str,
        typer.Option(envvar="CC_DEV_TELEPHONY_INGEST_URL", help="Base URL of telephony-ingest."),
    ] = "http://127.0.0.1:8001",
    server_path: Annotated[
        bool,
        typer.Option(
            "--server-path",
            help="The service reads FILE itself (it must be under its "
            "TELEPHONY_INGEST_IMPORT_ROOTS) instead of receiving an upload.",
        ),
    ] = False,
    timeout: Annotated[float, typer.Option(min=1, help="Seconds to wait for the import.")] = 600,
    token: Token = None,
    client_id: ClientId = None,
    client_secret: ClientSecret = None,
    issuer: Issuer = DEFAULT_ISSUER,
) -> None:
    """Hand a queue_log file to telephony-ingest's bulk import (an administrator's) and print
    its summary."""
    try:
        client = credentials_from(issuer, client_id, client_secret)
        bearer = bearer_token(token, client, timeout)
        with Bar("uploading", err) as bar:
            summary = import_queue_log(
                url,
                file,
                server_path=server_path,
                progress=bar,
                timeout=timeout,
                token=bearer,
            )
    except CliError as error:
        err.print(f"[bold red]error:[/] {error}", highlight=False)
        raise typer.Exit(error.exit_code) from None
    table = Table("field", "value", title=f"import of {file}")
    for key, value in summary.items():
        table.add_row(key, str(value))
    out.print(table)


@app.command("import-customers")
def import_customers_command(
    file: Annotated[Path, typer.Argument(help="A customer CSV (columns: see crm's README).")],
    url: Annotated[
        str, typer.Option(envvar="CC_DEV_CRM_URL", help="Base URL of crm.")
    ] = "http://127.0.0.1:8002",
    timeout: Annotated[float, typer.Option(min=1, help="Seconds to wait for the import.")] = 3600,
    token: Token = None,
    client_id: ClientId = None,
    client_secret: ClientSecret = None,
    issuer: Issuer = DEFAULT_ISSUER,
) -> None:
    """Stream a customer CSV to crm's import (an administrator's) and print its report
    (rejected rows by line)."""
    try:
        bearer = bearer_token(token, credentials_from(issuer, client_id, client_secret), timeout)
        with Bar("uploading", err) as bar, httpx.Client(base_url=url, timeout=timeout) as client:
            report = import_customers(client, file, token=bearer, progress=bar)
    except CliError as error:
        err.print(f"[bold red]error:[/] {error}", highlight=False)
        raise typer.Exit(error.exit_code) from None
    print_import_report(file, report)


def print_import_report(file: Path, report: dict[str, Any]) -> None:
    table = Table("field", "value", title=f"customer import of {file}")
    for key in ("lines", "rows", "imported", "rejected", "possible_duplicates"):
        table.add_row(key, str(report.get(key)))
    out.print(table)
    if report.get("rejections"):
        rejected = Table("line", "reason", title="rejected rows")
        for rejection in report["rejections"]:
            rejected.add_row(str(rejection["line"]), rejection["reason"])
        out.print(rejected)

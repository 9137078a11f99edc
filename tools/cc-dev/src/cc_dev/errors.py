"""The errors cc-dev reports to its user, each with the exit code the command ends with.

Exit codes: 0 done; 1 unexpected failure (a bug: the traceback is shown); 2 bad arguments
(typer's usage errors, and values typer cannot check, such as an unknown topic); 3 a bad input
file (missing, unreadable, not a recording, a malformed line); 4 Kafka unreachable or refusing;
5 an HTTP endpoint unreachable or refusing (telephony-ingest); 130 interrupted (Ctrl-C).
"""

USAGE = 2
BAD_FILE = 3
KAFKA = 4
HTTP = 5
INTERRUPTED = 130


class CliError(Exception):
    """An error the user can act on: its message is printed without a traceback."""

    exit_code = 1


class UsageError(CliError):
    exit_code = USAGE


class BadFileError(CliError):
    exit_code = BAD_FILE


class KafkaError(CliError):
    exit_code = KAFKA


class HttpError(CliError):
    exit_code = HTTP

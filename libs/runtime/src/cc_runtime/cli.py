"""The command line of every service: `cc-<service> --help` says what the service does and the
environment variables it reads (names, defaults, meanings); with no argument it runs."""

import argparse
import json
import re
import textwrap
from collections.abc import Callable, Iterator, Sequence
from importlib.metadata import PackageNotFoundError, metadata
from typing import Any, Literal, TypeVar, get_args, get_origin

from fastapi import FastAPI
from pydantic import AliasChoices, SecretBytes, SecretStr
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from cc_runtime.service import serve
from cc_runtime.settings import ServiceSettings

S = TypeVar("S", bound=ServiceSettings)

SECRET_TYPES = (SecretStr, SecretBytes)
# `scheme://user:password@host`: the password part of a URL default.
URL_PASSWORD = re.compile(r"(://[^:/@]+:)[^@/]+@")
ENDPOINTS = "/docs, /healthz, /readyz, /metrics, /asyncapi"
# The help is laid out at a fixed width, whatever the terminal.
WIDTH = 88


def run_service(
    settings_type: type[S],
    create_app: Callable[[S], FastAPI],
    argv: Sequence[str] | None = None,
) -> None:
    """The `main` of a service's console script: parse the command line, then serve."""
    parser(settings_type).parse_args(argv)
    settings = settings_type()
    serve(create_app(settings), settings)


def parser(settings_type: type[ServiceSettings]) -> argparse.ArgumentParser:
    """No options but `--help`: a service is configured by its environment only, so an
    unknown argument exits with 2 and the usage instead of being ignored."""
    name = settings_type.service_name
    running = (
        f"Serves HTTP ({ENDPOINTS}) and consumes and produces its Kafka topics until stopped "
        "(SIGTERM or Ctrl-C). It takes no arguments: every setting comes from the environment, "
        "with a working local default."
    )
    return argparse.ArgumentParser(
        prog=f"cc-{name}",
        description="\n\n".join(textwrap.fill(p, WIDTH) for p in (summary(name), running) if p),
        epilog=settings_help(settings_type),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def summary(service_name: str) -> str:
    """What the service does: its package's one-line description."""
    try:
        return metadata(f"cc-{service_name}")["Summary"] or ""
    except PackageNotFoundError:
        return ""


def settings_help(settings_type: type[ServiceSettings]) -> str:
    """The variables the settings read, shared (`CC_*`) first, then the service's own."""
    shared: list[str] = []
    own: list[str] = []
    for variable, name, field in variables(settings_type):
        text = describe(variable, field, description(settings_type, name))
        (shared if variable.startswith("CC_") else own).append(text)
    prefix = settings_type.model_config.get("env_prefix") or ""
    return "\n".join(
        [
            "settings shared by every service (environment variables):",
            *shared,
            "",
            f"settings of {settings_type.service_name} ({prefix}*):",
            *own,
        ]
    )


def variables(settings_type: type[ServiceSettings]) -> Iterator[tuple[str, str, FieldInfo]]:
    """(environment variable, field name, field) of each setting."""
    prefix = settings_type.model_config.get("env_prefix") or ""
    for name, field in settings_type.model_fields.items():
        alias = field.validation_alias
        if isinstance(alias, AliasChoices):
            yield str(alias.choices[0]), name, field
        elif isinstance(alias, str):
            yield alias, name, field
        else:
            yield f"{prefix}{name}".upper(), name, field


def description(settings_type: type[ServiceSettings], name: str) -> str | None:
    """The field's description, or the one of the base class it overrides the default of
    (a service's `http_port: int = 8005` keeps `ServiceSettings.http_port`'s meaning)."""
    for cls in settings_type.__mro__:
        fields = getattr(cls, "model_fields", {})
        if name in fields and fields[name].description:
            return str(fields[name].description)
    return None


def describe(variable: str, field: FieldInfo, meaning: str | None) -> str:
    choices = get_args(field.annotation) if get_origin(field.annotation) is Literal else ()
    if choices:
        meaning = f"{meaning or ''} One of: {', '.join(map(str, choices))}.".strip()
    line = f"  {variable}={shown_default(field)}"
    if not meaning:
        return line
    return (
        line
        + "\n"
        + textwrap.fill(meaning, WIDTH, initial_indent=" " * 6, subsequent_indent=" " * 6)
    )


def shown_default(field: FieldInfo) -> str:
    """The default as it would be written in the environment; never a secret's."""
    if is_secret(field):
        return "<secret, not shown>"
    if field.default_factory is not None:
        value: Any = field.default_factory()  # type: ignore[call-arg]
    elif field.default is PydanticUndefined:
        return "<required>"
    else:
        value = field.default
    if value is None:
        return "<unset>"
    if isinstance(value, list | dict | tuple | set):
        return json.dumps(value, default=str)
    return URL_PASSWORD.sub(r"\1***@", str(value))


def is_secret(field: FieldInfo) -> bool:
    annotation = field.annotation
    return annotation in SECRET_TYPES or any(a in SECRET_TYPES for a in get_args(annotation))

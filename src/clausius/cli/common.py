"""Helpers shared by CLI command modules: opening services, printing, validation."""

from __future__ import annotations

import asyncio
import json
import re
import sys
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

import click
from pydantic import BaseModel, ValidationError
from rich.console import Console
from rich.table import Table

from clausius.bootstrap import load_bootstrap
from clausius.core.config_models import Cluster
from clausius.errors import from_validation_error
from clausius.services.app import Services

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

# markup/emoji off: printed values (filter patterns, paths, names) are user data, never rich markup.
console = Console(
    highlight=False, markup=False, emoji=False, soft_wrap=False, width=None if sys.stdout.isatty() else 200
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")


def echo_error(message: str) -> None:
    """One line, always: click's own messages may span lines (e.g. a missing choice option)."""
    click.echo("error: " + re.sub(r"\s*\n\s*", " ", message.strip()), err=True)


@contextmanager
def services() -> Iterator[Services]:
    svc = Services.open(load_bootstrap())
    try:
        yield svc
    finally:
        svc.close()


def run(fn: Callable[[Services], Awaitable[T]]) -> T:
    """Open the services, run one async call against them, close."""
    with services() as svc:
        return asyncio.run(_call(fn, svc))


async def _call(fn: Callable[[Services], Awaitable[T]], svc: Services) -> T:
    try:
        return await fn(svc)
    finally:
        await svc.aclose()


def build(model: type[M], **fields: Any) -> M:
    """Validate CLI input into a model; a bad value becomes one clear error line."""
    try:
        return model(**fields)
    except ValidationError as exc:
        raise from_validation_error(exc) from None


def print_json(data: Any) -> None:
    if isinstance(data, BaseModel):
        data = data.model_dump(mode="json")
    elif isinstance(data, list):
        data = [d.model_dump(mode="json") if isinstance(d, BaseModel) else d for d in data]
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def fmt(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def print_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], empty: str) -> None:
    if not rows:
        console.print(empty)
        return
    table = Table(title=title, title_justify="left", show_edge=False, header_style="bold")
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(fmt(v) for v in row))
    console.print(table)


def endpoint(cluster: Cluster) -> str:
    """`user@host:port` with only the parts that are set."""
    user = f"{cluster.user}@" if cluster.user else ""
    port = f":{cluster.port}" if cluster.port else ""
    return f"{user}{cluster.host}{port}"


def ok(message: str) -> None:
    console.print(message)

"""Splitting delimited Slurm output into rows, by position or by header name."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TypeVar

from clausius.slurm.errors import SlurmParseError
from clausius.slurm.formats import DELIM, Fields

T = TypeVar("T")

_EMPTY = frozenset({"", "n/a", "(null)", "none", "unknown", "none assigned"})


def lines(text: str) -> Iterator[str]:
    """Non-blank lines. Splits on `\\n` only: `str.splitlines` would also split
    a job name on exotic separators such as `\\x1c` or `\\u2028`."""
    for line in text.split("\n"):
        line = line.removesuffix("\r")
        if line.strip():
            yield line


def positional(text: str, fields: Fields, command: str, *, name_last: bool = False) -> list[dict[str, str]]:
    """Rows of a fixed `|` format printed without header.

    The last field takes the rest of the line (so a job name may contain `|`).
    With `name_last`, a line with too few fields continues the previous row's
    last field: Slurm accepts a newline inside a job name.
    """
    n = len(fields)
    names = [name for _, name in fields]
    rows: list[list[str]] = []
    for line in lines(text):
        parts = line.split(DELIM, n - 1)
        if len(parts) < n:
            if name_last and rows:
                rows[-1][-1] += "\n" + line
                continue
            raise SlurmParseError(command, f"expected {n} fields, got {len(parts)}", line)
        rows.append(parts)
    return [dict(zip(names, row, strict=True)) for row in rows]


def by_header(text: str, command: str, *, strip: bool = True) -> tuple[list[str], list[dict[str, str]]]:
    """Rows of `|`-delimited output whose first line is a header.

    A repeated header name gets `#2`, `#3` … appended (sprio prints PARTITION
    for both the partition's name and its priority factor). Extra cells beyond
    the header are an error; missing trailing cells are empty.
    """
    it = lines(text)
    header_line = next(it, None)
    if header_line is None:
        return [], []
    header: list[str] = []
    for cell in header_line.split(DELIM):
        key = cell.strip()
        if key in header:
            key = f"{key}#{sum(1 for h in header if h.split('#')[0] == key) + 1}"
        header.append(key)
    if len(header) < 2 or any(not h for h in header):
        raise SlurmParseError(command, "header line is not a `|`-delimited list of names", header_line)
    rows = []
    for line in it:
        cells = line.split(DELIM)
        if len(cells) > len(header):
            raise SlurmParseError(command, f"row has {len(cells)} cells, header {len(header)}", line)
        cells += [""] * (len(header) - len(cells))
        rows.append({h: (c.strip() if strip else c) for h, c in zip(header, cells, strict=True)})
    return header, rows


class Row:
    """One parsed row; conversions report the command, the field and the line on failure."""

    def __init__(self, command: str, cells: dict[str, str], line: str | None = None) -> None:
        self.command = command
        self.cells = cells
        self.line = line if line is not None else DELIM.join(cells.values())

    def raw(self, name: str) -> str:
        return self.cells.get(name, "")

    def text(self, name: str) -> str:
        """Stripped, with Slurm's "nothing" placeholders as ""."""
        return clean(self.raw(name)).strip()

    def get(self, name: str, convert: Callable[[str], T]) -> T:
        try:
            return convert(self.raw(name))
        except SlurmParseError as exc:
            raise SlurmParseError(self.command, f"{name}: {exc.problem}", self.line) from exc
        except (ValueError, OverflowError) as exc:
            raise SlurmParseError(self.command, f"{name}: {exc}", self.line) from exc


def to_int(value: str) -> int:
    """An integer; Slurm sometimes suffixes counts (`32+` from sinfo without -e, `4K`)."""
    text = value.strip()
    mult = 1
    if text.endswith("+"):
        text = text[:-1]
    if text[-1:] in ("K", "M"):
        mult, text = (1000 if text[-1] == "K" else 1_000_000), text[:-1]
    return int(text) * mult


def to_opt_int(value: str) -> int | None:
    return None if value.strip().lower() in _EMPTY else to_int(value)


def to_opt_float(value: str) -> float | None:
    text = value.strip()
    if text.lower() in _EMPTY:
        return None
    return float(text)


def clean(value: str) -> str:
    """Slurm's placeholders for "nothing" → ""."""
    return "" if value.strip().lower() in _EMPTY else value

"""Errors of the Slurm adapter.

Parsers raise only `SlurmParseError` on bad input, so callers can catch one
type and keep the rest of a refresh. Builders raise `InvalidSlurmArgument`
(an `InvalidInput`, so interfaces answer 422 / exit 2) before any value can
reach a shell.
"""

from __future__ import annotations

from clausius.errors import InvalidInput

_SAMPLE_MAX = 120


def _sample(text: str) -> str:
    text = text.replace("\n", "\\n")
    return text if len(text) <= _SAMPLE_MAX else text[:_SAMPLE_MAX] + "…"


class SlurmParseError(ValueError):
    """Output of a Slurm command did not have the expected shape."""

    def __init__(self, command: str, problem: str, sample: str = "") -> None:
        self.command = command
        self.problem = problem
        self.sample = _sample(sample)
        message = f"{command}: {problem}"
        if sample:
            message += f" (near: {self.sample!r})"
        super().__init__(message)


class InvalidSlurmArgument(InvalidInput):
    """A value meant for a Slurm command line failed validation."""

    def __init__(self, what: str, value: object) -> None:
        shown = _sample(str(value))
        super().__init__(f"invalid {what}: {shown!r}")
        self.what = what

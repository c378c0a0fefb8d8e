"""Typed errors raised by services and mapped once per interface.

Every interface turns these into one clear message: the web layer into a 4xx
JSON body, the CLI into one line on stderr with a non-zero exit, MCP into a
structured tool error. Anything else that escapes is a bug.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class ClausiusError(Exception):
    """Base class: `message` is shown to the user as is."""

    http_status = 400
    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None, choices: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.choices = choices  # the valid values, when the problem is an unknown name

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message} ({self.hint})"


class InvalidInput(ClausiusError):
    """A value the user gave is malformed or out of range."""

    http_status = 422
    exit_code = 2


class NotFound(ClausiusError):
    """The named thing does not exist."""

    http_status = 404
    exit_code = 1


class NotAllowed(ClausiusError):
    """The operation is switched off by a setting (e.g. run_script without allow_run_script)."""

    http_status = 403
    exit_code = 1


class AlreadyExists(ClausiusError):
    """Creating something whose name is taken."""

    http_status = 409
    exit_code = 1


class Conflict(ClausiusError):
    """The operation cannot run in the current state (e.g. restore while serving)."""

    http_status = 409
    exit_code = 1


class ConfigError(ClausiusError):
    """The bootstrap configuration (file or environment) is invalid."""

    exit_code = 2


class StoreError(ClausiusError):
    """The database cannot be used (too new, corrupt, unreadable)."""

    http_status = 503
    exit_code = 1


# Pydantic's words for "the body is not an object": said once, plainly, for the whole body.
_NOT_AN_OBJECT = frozenset({"model_attributes_type", "dict_type", "model_type"})


def _body_problem(err: Mapping[str, Any]) -> str | None:
    """The message for an error about the request body as a whole (not one of its fields), if it is one."""
    loc = tuple(err.get("loc") or ())
    kind = err.get("type")
    if kind == "json_invalid":
        ctx = err.get("ctx")
        reason = ctx.get("error") if isinstance(ctx, dict) else None
        where = f" at character {loc[-1]}" if len(loc) > 1 else ""
        return f"request body is not valid JSON: {reason or 'malformed'}{where}"
    if loc != ("body",):
        return None
    if kind == "missing":
        return "request body is missing: send a JSON object (Content-Type: application/json)"
    if kind in _NOT_AN_OBJECT:
        return "request body must be a JSON object (Content-Type: application/json)"
    return None


def from_validation_error(exc: Exception) -> InvalidInput:
    """One readable line from a pydantic ValidationError: `field: problem`."""
    errors = getattr(exc, "errors", None)
    if not callable(errors):
        return InvalidInput(str(exc))
    parts = []
    for err in errors()[:3]:
        whole_body = _body_problem(err)
        if whole_body is not None:
            return InvalidInput(whole_body)  # nothing else about the body means anything then
        loc = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
        msg = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
        if err.get("type") == "extra_forbidden":
            msg = "unknown field"
        parts.append(f"{loc}: {msg}" if loc else msg)
    return InvalidInput("; ".join(parts) or "invalid input")

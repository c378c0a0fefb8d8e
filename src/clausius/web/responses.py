"""The error responses the OpenAPI document declares: one body shape, one table of statuses.

Every error the API answers with has the same body, `{"error": ..., "hint"?: ...}`: the
security middleware's refusals, bad requests (web/app.py `_install_error_handlers`) and the
typed errors of clausius.errors. Each router declares the statuses it can answer with through
`error_responses`, so clients (and schemathesis) see what the API really does instead of
FastAPI's default 422 body, which this API never sends.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ErrorBody(BaseModel):
    """What every error response carries."""

    model_config = ConfigDict(extra="forbid")

    error: str = Field(description="What went wrong, in one line.")
    hint: str | None = Field(default=None, description="What to do about it, when there is something to do.")


DESCRIPTIONS: dict[int, str] = {
    400: "Malformed request: a body that cannot be read, or a repeated security header.",
    401: "No access token or session, or a wrong one.",
    403: "Refused: a cross-origin request, no CSRF token, or switched off by a setting.",
    404: "Not found: the message names what is unknown.",
    409: "Conflicts with what exists already or with the current state.",
    413: "The request body is too large.",
    421: "The Host header names another server.",
    422: "Invalid input: the message names the field and the problem.",
    500: "Internal error: a bug (the server log has the details).",
    502: "The cluster could not be reached (connection, authentication or host key).",
    503: "Temporarily unavailable: the database cannot be used, or the cluster failed moments ago.",
    504: "The cluster did not answer within the deadline.",
}

# What any request can meet: the security middleware (400, 401, 403, 413, 421), a body or
# parameter that does not validate (422), a database that cannot be used (503), a bug (500).
COMMON: tuple[int, ...] = (400, 401, 403, 413, 421, 422, 500, 503)
# Routes that talk to a cluster also answer for it: unreachable (502) or too slow (504).
CLUSTER: tuple[int, ...] = (502, 504)


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The `responses` of a router: the common errors plus `statuses`, each with an ErrorBody."""
    return {
        status: {"model": ErrorBody, "description": DESCRIPTIONS[status]} for status in sorted({*COMMON, *statuses})
    }

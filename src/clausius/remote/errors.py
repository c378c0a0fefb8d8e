"""Transport failures, each with a message a user can act on."""

from __future__ import annotations

from clausius.errors import ClausiusError


class TransportError(ClausiusError):
    """A cluster could not be reached or a remote call failed before producing a result."""

    http_status = 502


class Unreachable(TransportError):
    """No connection to the host (refused, DNS, authentication, timeout while connecting)."""


class CircuitOpen(TransportError):
    """Recent failures: calls fail fast until the retry time instead of piling up."""

    http_status = 503


class CommandTimeout(TransportError):
    """The remote call did not finish within its deadline (the remote work was stopped)."""

    http_status = 504


class HostKeyError(TransportError):
    """The server's host key could not be verified; nothing was sent to it."""

    def __init__(
        self, message: str, *, cluster: str, host: str, port: int, fingerprint: str | None, hint: str | None = None
    ) -> None:
        super().__init__(message, hint=hint)
        self.cluster = cluster
        self.host = host
        self.port = port
        self.fingerprint = fingerprint


class RemoteFileError(TransportError):
    """A file operation failed on the remote side (no such file, permission denied, ...)."""

    http_status = 404

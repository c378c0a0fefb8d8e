"""The stdio ↔ Streamable HTTP relay behind `clausius mcp --stdio` while a service runs.

An agent's client keeps one stdio session open for hours, while the service behind it
may restart (an upgrade, `systemctl --user restart`). The relay outlives that: requests
in flight when the service goes away are answered at once with an error that says what
happened, and the relay reconnects (finding the service again through `locate`), replays
the client's `initialize` to open a new session, and carries on. The client never sees a
broken pipe or a request that hangs. Requests are never re-sent on their own: a cancel or
a script that reached the old service may have run, so the agent decides.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable

import anyio
import httpx2
from anyio.streams.memory import MemoryObjectSendStream
from mcp.client._transport import ReadStream, WriteStream  # the SDK's transport stream types (in its __all__)
from mcp.client.streamable_http import streamable_http_client
from mcp.server.stdio import stdio_server
from mcp.shared.message import SessionMessage
from mcp.types import (
    INTERNAL_ERROR,
    ErrorData,
    JSONRPCError,
    JSONRPCNotification,
    JSONRPCRequest,
    JSONRPCResponse,
    RequestId,
)

from clausius.services.jobs import MAX_WAIT_SEC
from clausius.web.security import MCP_UNAUTHORIZED

log = logging.getLogger("clausius.mcp")
RETRY_SEC = 1.0
SESSION_GONE = "Session terminated"  # what the SDK's client transport says when the server forgot the session

Locate = Callable[[], str | None]
Credentials = Callable[[], str | None]  # the access token now (re-read: it may have been rotated)


class ServiceGone(Exception):
    """The service stopped answering this session (it stopped, or restarted and forgot it)."""


class Relay:
    """Copies MCP messages between this process's stdio and the service's `/mcp`."""

    def __init__(self, locate: Locate, credentials: Credentials, *, retry_sec: float = RETRY_SEC) -> None:
        self._locate = locate
        self._credentials = credentials
        self._retry_sec = retry_sec
        self._initialize: JSONRPCRequest | None = None  # the client's, replayed on every new session
        self._pending: set[RequestId] = set()  # ids of forwarded requests not answered yet
        self._ids = itertools.count(1)
        self._to_service, self._from_client = anyio.create_memory_object_stream[SessionMessage](100)
        self._to_client: MemoryObjectSendStream[SessionMessage] | None = None

    async def run(self) -> None:
        """Relay until the client closes stdin."""
        async with stdio_server() as (std_read, std_write), anyio.create_task_group() as tasks:
            self._to_client = std_write

            async def read_client() -> None:
                async for message in std_read:
                    if isinstance(message, Exception):
                        log.warning("unreadable message from the client: %s", message)
                        continue
                    if isinstance(message.message, JSONRPCRequest) and message.message.method == "initialize":
                        self._initialize = message.message
                    await self._to_service.send(message)
                tasks.cancel_scope.cancel()  # the client closed stdin: we are done

            tasks.start_soon(read_client)
            tasks.start_soon(self._serve_forever)

    async def _serve_forever(self) -> None:
        resumed = False
        while True:
            url = self._locate()
            if url is None:
                await self._refuse_waiting("no clausius service is running; start `clausius serve`")
                await anyio.sleep(self._retry_sec)
                continue
            try:
                await self._session(url, resume=resumed)
                why = f"the clausius service at {url} closed the session"
            except Exception as exc:  # noqa: BLE001 - the transport ends in many ways (an ExceptionGroup included)
                why = f"the clausius service at {url} went away ({_first_cause(exc)})"
            log.warning("%s; reconnecting", why)
            await self._answer_pending(f"{why}; the request may or may not have run: call again after checking")
            await self._refuse_waiting(f"{why}; retrying")  # (a killed service leaves its address behind)
            resumed = self._initialize is not None
            await anyio.sleep(self._retry_sec)

    async def _session(self, url: str, *, resume: bool) -> None:
        timeout = httpx2.Timeout(30.0, read=float(MAX_WAIT_SEC + 60))  # wait_for_job holds a request open
        token = self._credentials()
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with (
            httpx2.AsyncClient(headers=headers, timeout=timeout) as client,
            streamable_http_client(url, http_client=client) as (http_read, http_write),
            anyio.create_task_group() as tasks,
        ):
            if resume and self._initialize is not None:
                await self._reinitialize(http_read, http_write)
                log.warning("reconnected to the clausius service at %s", url)
            tasks.start_soon(self._downstream, http_read, token)
            async for message in self._from_client:
                if isinstance(message.message, JSONRPCRequest):
                    self._pending.add(message.message.id)
                await http_write.send(message)

    async def _downstream(self, http_read: ReadStream[SessionMessage | Exception], token: str | None) -> None:
        async for message in http_read:
            if isinstance(message, Exception):
                log.warning("the service answered with an error: %s", message)
                continue
            reply = message.message
            if isinstance(reply, JSONRPCError) and reply.error.message == SESSION_GONE:
                raise ServiceGone("it restarted and no longer knows this session")
            if (
                isinstance(reply, JSONRPCError)
                and reply.error.code == MCP_UNAUTHORIZED
                and self._credentials() != token
            ):
                # The token was rotated under us: this request did not run; reconnect with the new one.
                raise ServiceGone("its access token was changed (`clausius rotate-token`)")
            if isinstance(reply, JSONRPCResponse | JSONRPCError) and reply.id is not None:
                self._pending.discard(reply.id)
            await self._send_to_client(message)
        raise ServiceGone("the connection closed")

    async def _reinitialize(
        self,
        http_read: ReadStream[SessionMessage | Exception],
        http_write: WriteStream[SessionMessage],
    ) -> None:
        """Open a new session with the client's own `initialize`; its answer is the relay's, not the client's."""
        assert self._initialize is not None
        request_id = f"clausius-relay-{next(self._ids)}"
        await http_write.send(SessionMessage(self._initialize.model_copy(update={"id": request_id})))
        with anyio.fail_after(30):
            async for message in http_read:
                if isinstance(message, SessionMessage) and getattr(message.message, "id", None) == request_id:
                    if isinstance(message.message, JSONRPCError):
                        raise ServiceGone(f"it refused the new session: {message.message.error.message}")
                    break
        initialized = JSONRPCNotification(jsonrpc="2.0", method="notifications/initialized")
        await http_write.send(SessionMessage(initialized))

    async def _refuse_waiting(self, why: str) -> None:
        """While no service runs, answer what the client sends (notifications are dropped)."""
        while True:
            try:
                message = self._from_client.receive_nowait()
            except anyio.WouldBlock:
                return
            if isinstance(message.message, JSONRPCRequest):
                await self._send_error(message.message.id, why)

    async def _answer_pending(self, why: str) -> None:
        pending, self._pending = self._pending, set()
        for request_id in pending:
            await self._send_error(request_id, why)

    async def _send_error(self, request_id: RequestId, why: str) -> None:
        error = JSONRPCError(jsonrpc="2.0", id=request_id, error=ErrorData(code=INTERNAL_ERROR, message=why))
        await self._send_to_client(SessionMessage(error))

    async def _send_to_client(self, message: SessionMessage) -> None:
        assert self._to_client is not None
        await self._to_client.send(message)


def _first_cause(exc: BaseException) -> str:
    """The innermost useful message of an exception group from the transport's task group."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return str(exc) or type(exc).__name__

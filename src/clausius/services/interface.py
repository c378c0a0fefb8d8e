"""Which interface the current call came through, for the audit log.

Each interface sets it once at its entry point (web middleware, MCP tool
wrapper, CLI main); services read it instead of threading an argument through
every call.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Literal

Interface = Literal["web", "cli", "mcp", "system"]

current_interface: ContextVar[Interface] = ContextVar("current_interface", default="system")

"""How clausius tools are declared: annotations, group, and errors an agent can act on.

A tool function is a thin async call into a service. `ToolRegistry.tool` wraps it so
that every anticipated failure (bad input, unknown names, unreachable clusters, a
switched-off feature) comes back as a tool error whose structured content says what
went wrong and what to change, instead of a protocol error or a crash.
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, ParamSpec, TypeVar

from mcp.server import MCPServer
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from pydantic import BaseModel, Field, ValidationError

from clausius.errors import ClausiusError, from_validation_error
from clausius.mcp.catalogue import TOOL_GROUPS
from clausius.services.interface import current_interface

log = logging.getLogger(__name__)
P = ParamSpec("P")
R = TypeVar("R")
M = TypeVar("M", bound=BaseModel)


def _code(exc: ClausiusError) -> str:
    """A stable snake_case code from the error class: NotFound → not_found."""
    name = type(exc).__name__
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")


def error_result(exc: ClausiusError) -> CallToolResult:
    error: dict[str, Any] = {"code": _code(exc), "message": exc.message}
    if exc.hint:
        error["hint"] = exc.hint
    if exc.choices is not None:
        error["choices"] = exc.choices
    return CallToolResult(
        content=[TextContent(type="text", text=f"error: {exc}")], structured_content={"error": error}, is_error=True
    )


def with_tool_errors(fn: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R | CallToolResult]]:
    @functools.wraps(fn)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | CallToolResult:
        current_interface.set("mcp")
        try:
            return await fn(*args, **kwargs)
        except ClausiusError as exc:
            return error_result(exc)
        except ValidationError as exc:  # a service model built from tool arguments
            return error_result(from_validation_error(exc))

    return wrapper


class ToolRegistry:
    """Adds tools to one MCPServer and remembers each tool's group."""

    def __init__(self, server: MCPServer[Any]) -> None:
        self.server = server

    def tool(
        self,
        *,
        title: str,
        read_only: bool,
        destructive: bool = False,
        idempotent: bool = False,
        open_world: bool = False,
    ) -> Callable[[Callable[P, Awaitable[R]]], Callable[P, Awaitable[R]]]:
        """Register an async tool; its docstring is the description, its signature the schema."""

        def decorator(fn: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
            name = fn.__name__
            if name not in TOOL_GROUPS:
                raise RuntimeError(f"tool {name} has no group in mcp/catalogue.py")
            annotations = ToolAnnotations(
                title=title,
                read_only_hint=read_only,
                destructive_hint=destructive if not read_only else False,
                idempotent_hint=idempotent if not read_only else True,
                open_world_hint=open_world,
            )
            self.server.add_tool(
                with_tool_errors(fn),
                name=name,
                title=title,
                description=inspect.cleandoc(fn.__doc__ or ""),
                annotations=annotations,
                meta={"group": TOOL_GROUPS[name]},
            )
            return fn

        return decorator

    def spec_tool(
        self,
        *,
        name: str,
        title: str,
        doc: str,
        spec: type[M],
        returns: Any,
        call: Callable[[M], Awaitable[Any]],
        read_only: bool = False,
        defaults: dict[str, Any] | None = None,
    ) -> None:
        """A tool whose flat parameters are a Spec model's fields, validated into it, passed to `call`."""

        async def tool(**fields: Any) -> Any:
            return await call(spec(**fields))

        tool.__name__ = tool.__qualname__ = name
        tool.__doc__ = doc
        tool.__signature__ = signature_from_model(spec, returns=returns, defaults=defaults)  # type: ignore[attr-defined]
        self.tool(title=title, read_only=read_only)(tool)


def signature_from_model(
    model: type[BaseModel],
    *,
    returns: Any,
    exclude: tuple[str, ...] = (),
    leading: tuple[inspect.Parameter, ...] = (),
    defaults: dict[str, Any] | None = None,
) -> inspect.Signature:
    """Flat keyword parameters from a pydantic model, so a tool's schema and the service's model never drift.

    Field constraints and descriptions carry over; validators run when the tool builds the model.
    """
    params = list(leading)
    required: list[inspect.Parameter] = []
    optional: list[inspect.Parameter] = []
    for name, info in model.model_fields.items():
        if name in exclude:
            continue
        parts = (info.annotation, *info.metadata, Field(description=info.description))
        annotation: Any = Annotated.__class_getitem__(parts)  # type: ignore[attr-defined]
        if info.is_required():
            required.append(inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation))
        else:
            default = (defaults or {}).get(name, info.get_default(call_default_factory=True))
            optional.append(
                inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=default)
            )
    return inspect.Signature([*params, *required, *optional], return_annotation=returns)

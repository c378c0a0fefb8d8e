"""The base of every request body the web routers define.

A body is JSON, so its values arrive with their JSON types: a boolean is `true` or `false`,
never `0` or `"no"`, and a number is never a string. Pydantic's lax mode would accept (and
convert) such values, so the API took input its own OpenAPI document calls invalid (found by
schemathesis: `{"everywhere": 0}` logged out this session only). Strict types and no unknown
fields make the documented schema the accepted one.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class RequestBody(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

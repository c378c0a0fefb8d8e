"""Configuration entities, validated once here and shared by every interface.

Pydantic models are used as typed, self-validating records: no I/O. The web
layer uses them as request/response bodies, MCP as tool schemas, the CLI as
the shape it prints. `*Spec` is what a caller sends to create something,
`*Update` is a partial patch (only fields that were sent change), and the bare
name is what is returned, with secrets replaced by flags.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from pydantic.fields import FieldInfo

from clausius.core import validation
from clausius.core.validation import STORE_INT_MAX
from clausius.errors import InvalidInput

PathKind = Literal["log_search", "nemo_run", "lustre_prefix"]
FilterMode = Literal["include", "exclude"]
TeamQuota = int | Literal["any"] | None

V = TypeVar("V")
_STRICT = ConfigDict(extra="forbid", str_strip_whitespace=True)


class _Record(BaseModel):
    """A record sent by a caller: unknown fields are refused, surrounding whitespace is dropped.

    A length limit holds for the value as sent, as the schema says, not only once it is stripped:
    pydantic checks `max_length` after stripping, so "  x" padded past the limit was accepted
    although the OpenAPI document calls it invalid (found by schemathesis).
    """

    model_config = _STRICT

    @field_validator("*", mode="before")
    @classmethod
    def _length_as_sent(cls, value: object, info: ValidationInfo) -> object:
        if isinstance(value, str) and info.field_name is not None:
            limit = _max_length(cls.model_fields[info.field_name])
            if limit is not None and len(value) > limit:
                raise ValueError(f"String should have at most {limit} characters")
        return value


def _max_length(field: FieldInfo) -> int | None:
    for constraint in field.metadata:
        limit = getattr(constraint, "max_length", None)
        if isinstance(limit, int):
            return limit
    return None


def _wrap(fn: Callable[[V], V], value: V) -> V:
    """Turn our InvalidInput into the ValueError pydantic expects inside validators."""
    try:
        return fn(value)
    except InvalidInput as exc:
        raise ValueError(exc.message) from None


def _check_quota(value: TeamQuota) -> TeamQuota:
    if isinstance(value, int) and not isinstance(value, bool) and value < 0:
        raise ValueError("team quota must be a non-negative number of GPUs, or 'any'")
    return value


def _check_mounts(paths: list[str]) -> list[str]:
    cleaned = [_wrap(lambda p: validation.config_path(p, what="mount path"), p) for p in paths]
    if len(set(cleaned)) != len(cleaned):
        raise ValueError("mount paths must be unique")
    return cleaned


class _ClusterFields(_Record):
    host: str | None = Field(default=None, description="Login node host name, IP or ~/.ssh/config alias.")
    port: int | None = Field(default=None, description="SSH port; empty means ~/.ssh/config's Port, else 22.")
    user: str | None = Field(default=None, description="SSH user; empty means the bootstrap default.")
    key: str | None = Field(default=None, description="Private key path; never returned by any interface.")
    data_host: str | None = Field(default=None, description="Data-copier node for file reads, if any.")
    gpu_type: str | None = Field(default=None, description="GPU model, e.g. H100.")
    gpus_per_node: int | None = Field(default=None, ge=0, le=64, description="GPUs per node.")
    gpu_mem_gb: int | None = Field(default=None, ge=0, le=4096, description="Memory per GPU in GB.")
    account: str | None = Field(default=None, description="Default Slurm account (PPP) on this cluster.")
    mount_paths: list[str] | None = Field(default=None, description="Remote roots the user's outputs live under.")
    team_quota: TeamQuota = Field(default=None, description="Informal weekly team GPU quota, or 'any'.")

    @field_validator("host", "data_host")
    @classmethod
    def _host(cls, v: str | None) -> str | None:
        return None if v is None else _wrap(validation.host, v)

    @field_validator("port")
    @classmethod
    def _port(cls, v: int | None) -> int | None:
        return None if v is None else _wrap(validation.port, v)

    @field_validator("user")
    @classmethod
    def _user(cls, v: str | None) -> str | None:
        return None if not v else _wrap(validation.username, v)

    @field_validator("key")
    @classmethod
    def _key(cls, v: str | None) -> str | None:
        return None if not v else _wrap(lambda p: validation.config_path(p, what="key path"), v)

    @field_validator("gpu_type")
    @classmethod
    def _gpu(cls, v: str | None) -> str | None:
        return None if not v else _wrap(validation.gpu_type, v)

    @field_validator("account")
    @classmethod
    def _account(cls, v: str | None) -> str | None:
        return None if not v else _wrap(validation.account, v)

    @field_validator("mount_paths")
    @classmethod
    def _mounts(cls, v: list[str] | None) -> list[str] | None:
        return None if v is None else _check_mounts(v)

    @field_validator("team_quota")
    @classmethod
    def _quota(cls, v: TeamQuota) -> TeamQuota:
        return _check_quota(v)


class ClusterSpec(_ClusterFields):
    """Everything needed to register a cluster."""

    name: str = Field(description="Short cluster name used everywhere (lowercase, digits, '-').")
    host: str = Field(description="Login node host name, IP or ~/.ssh/config alias.")

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        return _wrap(validation.cluster_name, v)


class ClusterUpdate(_ClusterFields):
    """A partial update: fields not sent keep their value; `null` clears an optional field."""


class Cluster(BaseModel):
    """A registered cluster as shown to users and agents (no secrets)."""

    name: str
    host: str
    port: int | None
    user: str | None
    key_configured: bool = Field(description="True when a per-cluster key path is set (the path is never shown).")
    data_host: str | None
    gpu_type: str | None
    gpus_per_node: int | None
    gpu_mem_gb: int | None
    account: str | None
    mount_paths: list[str]
    team_quota: TeamQuota
    created_at: float
    updated_at: float


class TeamMemberSpec(_Record):
    username: str = Field(description="Cluster user name of the team member.")
    display_name: str | None = Field(default=None, max_length=120, description="Name shown in the UI.")

    @field_validator("username")
    @classmethod
    def _user(cls, v: str) -> str:
        return _wrap(validation.username, v)


class TeamMember(TeamMemberSpec):
    created_at: float


class AccountSpec(_Record):
    name: str = Field(description="Slurm account (PPP) name.")
    lustre_id: int | None = Field(
        default=None, ge=0, le=STORE_INT_MAX, description="Lustre project id for quota lookups."
    )
    description: str | None = Field(default=None, max_length=500, description="What the account is for.")

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        return _wrap(validation.account, v)


class AccountUpdate(_Record):
    lustre_id: int | None = Field(
        default=None, ge=0, le=STORE_INT_MAX, description="Lustre project id for quota lookups."
    )
    description: str | None = Field(default=None, max_length=500, description="What the account is for.")


class Account(AccountSpec):
    created_at: float


class PathBaseSpec(_Record):
    kind: PathKind = Field(
        description="log_search: where logs are searched; nemo_run: NeMo-Run output "
        "roots; lustre_prefix: Lustre mount prefixes."
    )
    path: str = Field(description="Absolute path on the clusters.")

    @field_validator("path")
    @classmethod
    def _path(cls, v: str) -> str:
        return _wrap(validation.config_path, v)


class PathBase(PathBaseSpec):
    id: int


class ProcessFilterSpec(_Record):
    mode: FilterMode = Field(description="include: show matching local processes; exclude: hide them.")
    pattern: Annotated[
        str, Field(min_length=1, max_length=200, description="Text to find in the process command line.")
    ]

    @field_validator("pattern")
    @classmethod
    def _pattern(cls, v: str) -> str:
        if any(ord(ch) < 32 for ch in v):
            raise ValueError("pattern must not contain control characters")
        return v


class ProcessFilter(ProcessFilterSpec):
    id: int


class _ProjectFields(_Record):
    prefix: str | None = Field(default=None, max_length=64, description="Job-name prefix (default '<name>_').")
    color: str | None = Field(default=None, description="#RRGGBB")
    emoji: str | None = None

    @field_validator("prefix")
    @classmethod
    def _prefix(cls, v: str | None) -> str | None:
        if v is None:
            return None
        if not v or any(ch.isspace() or ord(ch) < 32 for ch in v):
            raise ValueError("prefix must be non-empty and contain no whitespace")
        return v

    @field_validator("color")
    @classmethod
    def _color(cls, v: str | None) -> str | None:
        return None if v is None else _wrap(validation.color, v)

    @field_validator("emoji")
    @classmethod
    def _emoji(cls, v: str | None) -> str | None:
        return None if v is None else _wrap(validation.emoji, v)


class ProjectSpec(_ProjectFields):
    name: str

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        return _wrap(validation.project_name, v)


class ProjectUpdate(_ProjectFields):
    pass


class Project(BaseModel):
    name: str
    prefix: str
    color: str
    emoji: str
    created_at: float

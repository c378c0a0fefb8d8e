"""Validators for every identifier that may one day reach a shell or a path.

They are strict on purpose: a name that passes here is safe to log, to put in a
URL and (after quoting) to pass to a remote command.
"""

from __future__ import annotations

import re

from clausius.errors import InvalidInput

# SQLite stores integers in 8 signed bytes: a larger id or count is refused before it reaches the store.
STORE_INT_MAX = 2**63 - 1

CLUSTER_NAME_RE = re.compile(r"^[a-z][a-z0-9-]{0,31}$")
# RFC 1123 host names, IPv4, bracket-less IPv6, or an ~/.ssh/config Host alias.
HOST_RE = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$|^[0-9A-Fa-f:.]{2,45}$")
USERNAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,63}$")
ACCOUNT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
PROJECT_RE = re.compile(r"^[a-z][a-z0-9-]{0,47}$")
GPU_TYPE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]{0,31}$")
COLOR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")
RESERVED_CLUSTER_NAMES = frozenset({"local", "all"})


def cluster_name(value: str) -> str:
    if not CLUSTER_NAME_RE.match(value):
        raise InvalidInput(
            f"invalid cluster name {value!r}: use lowercase letters, digits and '-', "
            "starting with a letter (max 32 characters)"
        )
    if value in RESERVED_CLUSTER_NAMES:
        raise InvalidInput(f"cluster name {value!r} is reserved")
    return value


def host(value: str) -> str:
    if not HOST_RE.match(value) or ".." in value:
        raise InvalidInput(f"invalid host {value!r}: expected a host name, an IP address or an ssh alias")
    return value


def port(value: int) -> int:
    if isinstance(value, bool) or not 1 <= value <= 65535:
        raise InvalidInput(f"invalid port {value!r}: must be between 1 and 65535")
    return value


def username(value: str) -> str:
    if not USERNAME_RE.match(value):
        raise InvalidInput(f"invalid user name {value!r}")
    return value


def account(value: str) -> str:
    if not ACCOUNT_RE.match(value):
        raise InvalidInput(f"invalid account name {value!r}: letters, digits, '_', '.', '-' only")
    return value


def project_name(value: str) -> str:
    if not PROJECT_RE.match(value):
        raise InvalidInput(f"invalid project name {value!r}: lowercase letters, digits and '-', starting with a letter")
    return value


def gpu_type(value: str) -> str:
    if not GPU_TYPE_RE.match(value):
        raise InvalidInput(f"invalid GPU type {value!r}")
    return value


def color(value: str) -> str:
    if not COLOR_RE.match(value):
        raise InvalidInput(f"invalid colour {value!r}: expected #RRGGBB")
    return value.lower()


def emoji(value: str) -> str:
    if not value or len(value) > 8 or any(ch.isspace() or (ch.isascii() and not ch.isprintable()) for ch in value):
        raise InvalidInput(f"invalid emoji {value!r}: one emoji (at most 8 code points)")
    return value


def config_path(value: str, *, what: str = "path") -> str:
    """A path as configured: absolute, `~`-relative or starting with `$USER`-style variables.

    Paths are stored as written (the remote side expands `$USER`); they may not
    contain `..` segments or control characters, so they cannot climb out of
    the root the user meant.
    """
    if not value or len(value) > 1024:
        raise InvalidInput(f"invalid {what}: must be 1 to 1024 characters")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise InvalidInput(f"invalid {what} {value!r}: control characters are not allowed")
    if not (value.startswith(("/", "~", "$"))):
        raise InvalidInput(f"invalid {what} {value!r}: must be absolute (or start with ~ or $USER)")
    if ".." in value.split("/"):
        raise InvalidInput(f"invalid {what} {value!r}: '..' segments are not allowed")
    return value.rstrip("/") or "/"

"""Confining file access to the roots a cluster allows (pure: the caller resolves symlinks first)."""

from __future__ import annotations

import posixpath
from collections.abc import Sequence

from clausius.errors import ClausiusError


class PathNotAllowed(ClausiusError):
    http_status = 403


def confine(real_path: str, roots: Sequence[str]) -> str:
    """Return the normalised path if it lies inside one of `roots`, else raise PathNotAllowed.

    `real_path` must already be a realpath (symlinks resolved on the side that owns the files);
    this check then cannot be escaped with `..` or links.
    """
    if not real_path.startswith("/") or "\x00" in real_path or "\n" in real_path:
        raise PathNotAllowed(f"not an absolute path: {real_path!r}")
    normal = posixpath.normpath(real_path)
    for root in roots:
        base = posixpath.normpath(root)
        if normal == base or normal.startswith(base.rstrip("/") + "/"):
            return normal
    shown = ", ".join(roots) or "none configured"
    raise PathNotAllowed(f"{real_path} is outside the allowed roots ({shown})")

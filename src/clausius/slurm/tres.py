"""Small value parsers shared by the command parsers: job ids, dependencies,
GRES/TRES GPU counts and memory sizes. All pure; bad input → SlurmParseError.
"""

from __future__ import annotations

import re

from clausius.slurm.errors import SlurmParseError
from clausius.slurm.models import Dependency, JobIdParts

_JOB_ID = re.compile(r"(\d+)(?:_(\d+|\[[0-9,\-%]+\]))?(?:\+(\d+))?(?:\.([A-Za-z0-9_]+))?")
_DEP_ITEM = re.compile(r"([a-z_]+)(?::([^()]*))?(?:\(([A-Za-z_ ]*)\))?")
_PARENS = re.compile(r"\([^)]*\)")
_MEMORY = re.compile(r"(\d+(?:\.\d+)?)([KMGTPE]?)", re.IGNORECASE)
_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40, "P": 1 << 50, "E": 1 << 60}
_EMPTY = frozenset({"", "(null)", "n/a", "none"})


def split_job_id(text: str) -> JobIdParts:
    """`13_1` → (13, "1", None, None); `13_[3-4%2]`, `123+0`, `5.batch` likewise."""
    m = _JOB_ID.fullmatch(text.strip())
    if not m:
        raise SlurmParseError("job id", "not a Slurm job id", text)
    base, task, het, step = m.groups()
    return JobIdParts(base, task, int(het) if het is not None else None, step)


def parse_dependencies(text: str) -> tuple[Dependency, ...]:
    """`afterok:12(unfulfilled),afterany:13_*` → ((afterok, 12, unfulfilled), (afterany, 13_*, ""))."""
    value = text.strip()
    if value.lower() in _EMPTY:
        return ()
    deps: list[Dependency] = []
    # `,` means all of, `?` any of; both just separate clauses here.
    for item in re.split(r"[,?]", value):
        item = item.strip()
        if not item:
            continue
        m = _DEP_ITEM.fullmatch(item)
        if not m:
            raise SlurmParseError("dependency", "clause is not type:id[(state)]", item)
        kind, ids, state = m.group(1), m.group(2), (m.group(3) or "").strip()
        if ids is None:
            deps.append(Dependency(kind, "", state))  # singleton
            continue
        # `afterok:1:2` lists several jobs; `after:5+10` carries a delay in minutes.
        for job in ids.split(":"):
            job = job.split("+", 1)[0].strip()
            if job:
                deps.append(Dependency(kind, job, state))
    return tuple(deps)


def gres_gpus(gres: str) -> tuple[int | None, str | None]:
    """GPUs per node and GPU type from a GRES / tres-per-node / tres-per-job string.

    `gpu:8` → 8; `gpu:h100:4` → (4, h100); `gres/gpu:b200:4(S:0-1)` → (4, b200);
    `gres:gpu:4` → 4; `gpu` → 1; `N/A`, `(null)` → unknown (None). Several GPU entries add up.
    """
    value = _PARENS.sub("", gres.strip())
    if value.lower() in _EMPTY:
        return None, None
    total, gpu_type = 0, None
    for item in value.split(","):
        item = item.strip()
        for prefix in ("gres:", "gres/"):
            item = item.removeprefix(prefix)
        parts = item.split(":")
        if parts[0] != "gpu":
            continue
        rest = parts[1:]
        count = 1
        if rest and rest[-1].isdigit():
            count = int(rest.pop())
        elif rest and "=" in rest[-1]:  # `gpu:h100=4` style
            name, _, num = rest.pop().partition("=")
            count = int(num) if num.isdigit() else 1
            rest.append(name)
        if rest and rest[0] and gpu_type is None:
            gpu_type = rest[0]
        total += count
    return total, gpu_type


def parse_tres(text: str) -> dict[str, str]:
    """`cpu=4,mem=8G,gres/gpu=4` → {"cpu": "4", "mem": "8G", "gres/gpu": "4"}."""
    out: dict[str, str] = {}
    value = text.strip()
    if value.lower() in _EMPTY:
        return out
    for item in value.split(","):
        key, sep, val = item.partition("=")
        if sep and key.strip():
            out[key.strip()] = val.strip()
    return out


def tres_gpus(text: str) -> tuple[int | None, str | None]:
    """GPU total and type from a TRES list: `gres/gpu=4` (or the sum of `gres/gpu:<type>=N`).

    A list without GPUs is 0; an empty or `N/A` list tells nothing (None)."""
    tres = parse_tres(text)
    if not tres:
        return None, None
    typed = {k.split(":", 1)[1]: v for k, v in tres.items() if k.startswith("gres/gpu:")}
    gpu_type = next(iter(typed), None)
    untyped = tres.get("gres/gpu")
    if untyped is not None:
        return _leading_int(untyped), gpu_type
    return sum(_leading_int(v) for v in typed.values()), gpu_type


def _leading_int(text: str) -> int:
    m = re.match(r"\d+", text.strip())
    return int(m.group(0)) if m else 0


def parse_memory(text: str) -> int | None:
    """`1.50G`, `2048K`, `0` → bytes (binary units, as Slurm prints them); empty → None."""
    value = text.strip()
    if value.lower() in _EMPTY:
        return None
    m = _MEMORY.fullmatch(value)
    if not m:
        raise SlurmParseError("memory", "not a number with a K/M/G/T suffix", text)
    return int(float(m.group(1)) * _UNITS[m.group(2).upper()])

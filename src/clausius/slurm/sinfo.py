"""Parser for `sinfo --noheader -e -o <SINFO_FORMAT>`: partitions, rows of one partition merged."""

from __future__ import annotations

from dataclasses import dataclass, field

from clausius.slurm.errors import SlurmParseError
from clausius.slurm.formats import SINFO_FIELDS
from clausius.slurm.models import PartitionInfo
from clausius.slurm.rows import Row, positional, to_int, to_opt_int
from clausius.slurm.timeparse import parse_duration
from clausius.slurm.tres import gres_gpus

_CMD = "sinfo"


def parse_node_states(text: str) -> tuple[int, int, int, int]:
    """`%F` → (allocated, idle, other, total)."""
    parts = text.strip().split("/")
    if len(parts) != 4:
        raise SlurmParseError(_CMD, "node states are not A/I/O/T", text)
    alloc, idle, other, total = (int(p) for p in parts)
    return alloc, idle, other, total


@dataclass
class _Acc:
    name: str
    is_default: bool
    available: str
    time_limit_sec: int | None
    nodes_total: int = 0
    nodes_alloc: int = 0
    nodes_idle: int = 0
    nodes_other: int = 0
    cpus: int = 0
    memory: int | None = None
    gpus: int = 0
    gpu_types: list[str] = field(default_factory=list)
    gres: list[str] = field(default_factory=list)


def parse_sinfo(text: str) -> list[PartitionInfo]:
    """Partitions in first-seen order; node counts summed, CPUs/memory/GPUs per node = max over rows."""
    parts: dict[str, _Acc] = {}
    for cells in positional(text, SINFO_FIELDS, _CMD):
        row = Row(_CMD, cells)
        raw_name = row.raw("partition").strip()
        name = raw_name.removesuffix("*")
        if not name:
            raise SlurmParseError(_CMD, "empty partition name", row.line)
        acc = parts.get(name)
        if acc is None:
            acc = parts[name] = _Acc(
                name=name,
                is_default=raw_name.endswith("*"),
                available=row.text("available"),
                time_limit_sec=row.get("time_limit", parse_duration),
            )
        row.get("nodes", to_int)  # same count as %F's total; checked so a shifted row cannot pass
        alloc, idle, other, total = row.get("node_states", parse_node_states)
        acc.nodes_alloc += alloc
        acc.nodes_idle += idle
        acc.nodes_other += other
        acc.nodes_total += total
        acc.cpus = max(acc.cpus, row.get("cpus", to_int))
        memory = row.get("memory", to_opt_int)
        if memory is not None:
            acc.memory = max(acc.memory or 0, memory)
        gpus, gpu_type = row.get("gres", gres_gpus)
        acc.gpus = max(acc.gpus, gpus or 0)  # a node group without GPU GRES has none
        if gpu_type and gpu_type not in acc.gpu_types:
            acc.gpu_types.append(gpu_type)
        gres = row.text("gres")
        if gres and gres not in acc.gres:
            acc.gres.append(gres)
    return [
        PartitionInfo(
            name=a.name,
            is_default=a.is_default,
            available=a.available,
            time_limit_sec=a.time_limit_sec,
            nodes_total=a.nodes_total,
            nodes_alloc=a.nodes_alloc,
            nodes_idle=a.nodes_idle,
            nodes_other=a.nodes_other,
            cpus_per_node=a.cpus,
            memory_mb_per_node=a.memory,
            gpus_per_node=a.gpus,
            gpu_types=tuple(a.gpu_types),
            gres=tuple(a.gres),
        )
        for a in parts.values()
    ]

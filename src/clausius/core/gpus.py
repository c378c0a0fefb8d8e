"""How many GPUs a job has: one rule for every Slurm source (squeue, scontrol, sacct).

Slurm says it in several places: the TRES of the job (allocated once it runs, requested while it
pends: `gres/gpu=4`), GRES per node (`gpu:h100:2` × nodes) and per job (`--gpus=2`). A source that
prints `N/A` or nothing tells nothing: the count is unknown (None), never 0, and an unknown count
never replaces a known one. A TRES list without any GPU is a known 0.
"""

from __future__ import annotations

from collections.abc import Sequence

Count = tuple[int | None, str | None]  # (GPUs, GPU type), either may be unknown
UNKNOWN: Count = (None, None)


def job_gpus(
    *, allocated: Count = UNKNOWN, requested: Count = UNKNOWN, per_node: Count = UNKNOWN, nodes: int | None = None
) -> Count:
    """The job's GPUs: allocated TRES, else requested TRES, else per-node GRES × nodes; else unknown.

    A source counts when it names GPUs; one that names none (a known 0) only counts when no other
    source names any, so `cpu=1,mem=1G` next to `gpu:2` per node is 2 per node, not 0.
    """
    per_node_total: Count = UNKNOWN
    if per_node[0] is not None:
        per_node_total = (per_node[0] * max(nodes or 1, 1), per_node[1])
    sources: Sequence[Count] = (allocated, requested, per_node_total)
    for count, gpu_type in sources:
        if count:
            return count, gpu_type or next((t for _, t in sources if t), None)
    if any(count == 0 for count, _ in sources):
        return 0, None
    return UNKNOWN


def keep_known(known: int | None, new: int | None) -> int | None:
    """A refresh that cannot tell the count (None) keeps the one learned before."""
    return known if new is None else new

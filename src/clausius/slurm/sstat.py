"""Parser for `sstat -a -P --noheader --format=<SSTAT_FORMAT>` (live usage of running steps)."""

from __future__ import annotations

from clausius.slurm.formats import SSTAT_FIELDS
from clausius.slurm.models import SstatRow
from clausius.slurm.rows import Row, positional, to_opt_int
from clausius.slurm.timeparse import parse_duration_precise
from clausius.slurm.tres import parse_memory, split_job_id

_CMD = "sstat"


def parse_sstat(text: str) -> list[SstatRow]:
    """One row per step (`123.batch`, `123.0`, `123.extern`); memory in bytes, CPU time in seconds."""
    out = []
    for cells in positional(text, SSTAT_FIELDS, _CMD):
        row = Row(_CMD, cells)
        row.get("job_step", split_job_id)
        out.append(
            SstatRow(
                job_step=row.raw("job_step").strip(),
                ntasks=row.get("ntasks", to_opt_int),
                ave_cpu_sec=row.get("ave_cpu", parse_duration_precise),
                ave_rss_bytes=row.get("ave_rss", parse_memory),
                max_rss_bytes=row.get("max_rss", parse_memory),
                max_vmsize_bytes=row.get("max_vmsize", parse_memory),
                tres_usage_in_max=row.text("tres_usage_in_max"),
            )
        )
    return out

"""Interpretation of one `scancel ID…` run: which ids were cancelled, which failed and why."""

from __future__ import annotations

import re
from collections.abc import Iterable

from clausius.slurm.models import CancelResult
from clausius.slurm.rows import lines

# scancel: error: Kill job error on job id 999999: Invalid job id specified
_PER_ID = re.compile(r"scancel: error: .*?job id (\S+?):\s*(.*)")
_ERROR = re.compile(r"scancel: error: (.*)")


def parse_scancel(job_ids: Iterable[str], exit_code: int, stderr: str) -> list[CancelResult]:
    """One result per requested id, in order.

    With -v scancel prints `Terminating job N` per id and an error line per
    failing id (the exit code is the last Slurm error number modulo 256, e.g.
    210 for ESLURM_ACCESS_DENIED). An error that names no id (e.g. the
    controller is unreachable) applies to every id when the exit code says
    failure and no id was named.
    """
    per_id: dict[str, str] = {}
    general: list[str] = []
    for line in lines(stderr):
        text = line.strip()
        m = _PER_ID.fullmatch(text)
        if m:
            per_id.setdefault(m.group(1), m.group(2).strip() or "error")
            continue
        m = _ERROR.fullmatch(text)
        if m:
            general.append(m.group(1).strip())
    out = []
    for job_id in job_ids:
        if job_id in per_id:
            out.append(CancelResult(job_id, ok=False, error=per_id[job_id]))
        elif exit_code != 0 and not per_id:
            message = "; ".join(general) or (stderr.strip()[:200] or f"scancel exited with {exit_code}")
            out.append(CancelResult(job_id, ok=False, error=message))
        else:
            out.append(CancelResult(job_id, ok=True))
    return out

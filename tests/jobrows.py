"""Recorded jobs for tests: a JobRow that ended some days ago, as the agents would store it."""

from __future__ import annotations

import time
from typing import Any

from clausius.core.job_record import JobRow

NOW = time.time()
DAY = 86_400.0


def past_job(cluster: str, job_id: str, state: str, ended_days_ago: float, **fields: Any) -> JobRow:
    """Submitted an hour before it ended, ran for half an hour; running/pending jobs have no end."""
    end = NOW - ended_days_ago * DAY
    return JobRow(
        cluster=cluster,
        job_id=job_id,
        state=state,
        name=fields.pop("name", f"job-{job_id}"),
        submit_time=end - 3600,
        start_time=end - 1800,
        end_time=end if state not in ("RUNNING", "PENDING") else None,
        elapsed_sec=fields.pop("elapsed_sec", 1800),
        first_seen=end - 3600,
        last_seen=end,
        **fields,
    )

"""Which local processes the `local` pseudo-cluster shows (pure)."""

from __future__ import annotations

from collections.abc import Sequence

MIN_AGE_SEC = 30.0  # only long-running work belongs on the board, not every short command


def matches(cmdline: str, include: Sequence[str], exclude: Sequence[str]) -> bool:
    """Shown when some include pattern occurs in the command line and no exclude pattern does.

    Patterns are plain substrings, compared case-insensitively (both sides lower-cased). With no
    include patterns nothing is shown: listing every process of the machine is never useful.
    """
    text = cmdline.lower()
    if not any(p.lower() in text for p in include if p):
        return False
    return not any(p.lower() in text for p in exclude if p)


def process_job_id(pid: int) -> str:
    return f"pid-{pid}"


def parse_process_job_id(job_id: str) -> int | None:
    if job_id.startswith("pid-") and job_id[4:].isdigit():
        return int(job_id[4:])
    return None


def short_command(cmdline: Sequence[str], limit: int = 80) -> str:
    text = " ".join(cmdline)
    return text if len(text) <= limit else text[: limit - 1] + "…"

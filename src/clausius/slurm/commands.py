"""argv builders for every Slurm command clausius runs.

Each builder validates its dynamic values first (see `validate`) and returns
an argv list whose output format matches a parser in this package. Commands
that print times are prefixed with `env SLURM_TIME_FORMAT=standard`, so the
output is ISO-like whatever the user's login profile sets. `to_shell` turns an
argv into one command line for transports that must go through a shell.
"""

from __future__ import annotations

import math
import re
import shlex
from collections.abc import Iterable, Sequence

from clausius.slurm import validate
from clausius.slurm.errors import InvalidSlurmArgument
from clausius.slurm.formats import (
    SACCT_FIELDS,
    SINFO_FIELDS,
    SPRIO_FIELDS,
    SQUEUE_FIELDS,
    SQUEUE_START_FIELDS,
    SSTAT_FIELDS,
    comma_format,
    field_format,
    percent_format,
)
from clausius.slurm.timeparse import format_local_time

TIME_ENV: tuple[str, ...] = ("env", "SLURM_TIME_FORMAT=standard")

# sacct's -S window is capped: without -S sacct starts at midnight (missing
# jobs), an epoch-0 start scans the whole accounting database (slow, heavy on
# slurmdbd, may hit MaxQueryTimeRange). After a longer idle gap the service
# must backfill explicitly (e.g. `sacct -j` for the ids it still holds).
MAX_SACCT_WINDOW_SEC = 30 * 86400

SQUEUE_FORMAT = field_format(SQUEUE_FIELDS)  # for -O
SQUEUE_START_FORMAT = percent_format(SQUEUE_START_FIELDS)
SACCT_FORMAT = comma_format(SACCT_FIELDS)
SINFO_FORMAT = percent_format(SINFO_FIELDS)
SPRIO_FORMAT = percent_format(SPRIO_FIELDS)
SSTAT_FORMAT = comma_format(SSTAT_FIELDS)


def to_shell(argv: Sequence[str]) -> str:
    """One shell command line whose words are exactly `argv` (`shlex.split(to_shell(a)) == a`)."""
    if isinstance(argv, str) or not argv:
        raise InvalidSlurmArgument("argv", argv)
    return " ".join(shlex.quote(word) for word in argv)


def build_squeue_user(user: str, *, include_finished: bool = False) -> list[str]:
    """The user's jobs in the fixed squeue format (no header).

    `include_finished` adds `-t all`: jobs that ended within MinJobAge also show,
    with their final state. `--local` skips the federation lookup: without it every
    squeue costs slurmctld an extra REQUEST_FED_INFO RPC (3 RPCs instead of 2, measured
    with sdiag on the lab), and clausius treats each cluster on its own anyway.
    """
    argv = [*TIME_ENV, "squeue", "--local", "--noheader", "-u", validate.name(user, "user")]
    if include_finished:
        argv += ["-t", "all"]
    return [*argv, "-O", SQUEUE_FORMAT]


def build_squeue_jobs(job_ids: Iterable[str | int]) -> list[str]:
    """Selected jobs (any owner) in the fixed squeue format."""
    ids = validate.job_ids(job_ids)
    return [*TIME_ENV, "squeue", "--noheader", "-t", "all", f"--jobs={','.join(ids)}", "-O", SQUEUE_FORMAT]


def clamp_since(since_epoch: float, now_epoch: float, max_window_sec: int = MAX_SACCT_WINDOW_SEC) -> float:
    """The sacct window start actually used: never before `now - max_window_sec`, never after now."""
    for what, value in (("since epoch", since_epoch), ("now epoch", now_epoch)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
            raise InvalidSlurmArgument(what, value)
    return float(min(max(since_epoch, now_epoch - max_window_sec), now_epoch))


def sacct_base(user: str) -> list[str]:
    """`sacct -X -D -P --noheader -u USER --format=…` without a selection (shared with the refresh script).

    `-D` lists every record of a requeued job, so the parser can count requeues.
    """
    return [
        *TIME_ENV,
        "sacct",
        "-X",
        "-D",
        "-P",
        "--noheader",
        "-u",
        validate.name(user, "user"),
        f"--format={SACCT_FORMAT}",
    ]


# Every job state sacct knows. With an explicit state list sacct selects jobs that
# were in one of them during -S..-E; without one it selects jobs *eligible* in the
# window, which silently drops jobs cancelled while held or waiting on a dependency
# (never eligible) — exactly the ones the board must still finalise.
_START = re.compile(r"[A-Za-z0-9_:-]{1,32}")  # 2026-11-25T10:11:12, or a shell variable placeholder
SACCT_ALL_STATES = "BF,CA,CD,DL,F,NF,OOM,PD,PR,R,RQ,RS,RV,S,TO"


def sacct_window(user: str, start_local: str) -> list[str]:
    """`sacct … -S START -E now -s <all states>` (START in the cluster's local time)."""
    if not _START.fullmatch(start_local):
        raise InvalidSlurmArgument("sacct start time", start_local)
    return [*sacct_base(user), "-S", start_local, "-E", "now", "-s", SACCT_ALL_STATES]


def build_sacct_since(
    user: str,
    since_epoch: float,
    utc_offset_sec: int,
    *,
    now_epoch: float,
    max_window_sec: int = MAX_SACCT_WINDOW_SEC,
) -> list[str]:
    """The user's jobs active since `since_epoch` (UTC), `-S` in the cluster's local time."""
    offset = validate.utc_offset(utc_offset_sec)
    start = clamp_since(since_epoch, now_epoch, max_window_sec)
    return sacct_window(user, format_local_time(start, offset))


def build_sacct_jobs(user: str, job_ids: Iterable[str | int]) -> list[str]:
    """Accounting records of selected jobs (one invocation, ids comma-separated).

    No `-u` here: combined with `--jobs`, a user filter makes sacct apply a time window on the
    *eligible* time, which slurmdbd learns a few seconds after a short job ended — so a job that
    just finished would be missing (seen on the lab). The ids select the jobs; `user` is still
    validated so callers cannot pass anything odd.
    """
    ids = validate.job_ids(job_ids)
    base = sacct_base(user)
    without_user = [arg for i, arg in enumerate(base) if arg != "-u" and (i == 0 or base[i - 1] != "-u")]
    return [*without_user, f"--jobs={','.join(ids)}"]


def build_scontrol_job(job_id: str | int) -> list[str]:
    """`scontrol -o show job ID`: one line per job record (several for an array)."""
    return [*TIME_ENV, "scontrol", "-o", "show", "job", validate.job_id(job_id)]


def build_sinfo() -> list[str]:
    """Partitions, one row per identical node group (`-e`), no header."""
    return ["sinfo", "--noheader", "-e", "-o", SINFO_FORMAT]


def build_sshare(*, users: Sequence[str] = (), accounts: Sequence[str] = (), all_users: bool = False) -> list[str]:
    """`sshare -l -P` (with its header line, mapped by column name)."""
    argv = ["sshare", "-l", "-P"]
    if all_users:
        argv.append("-a")
    if accounts:
        argv += ["-A", ",".join(validate.names(accounts, "account"))]
    if users:
        argv += ["-u", ",".join(validate.names(users, "user"))]
    return argv


def build_sprio(*, user: str | None = None, job_ids: Iterable[str | int] = ()) -> list[str]:
    """Priority factors of pending jobs (with header, mapped by column name)."""
    argv = ["sprio", "-o", SPRIO_FORMAT]
    ids = list(job_ids)
    if ids:
        argv.append(f"--jobs={','.join(validate.job_ids(ids))}")
    if user is not None:
        argv += ["-u", validate.name(user, "user")]
    return argv


def build_squeue_start(user: str, job_ids: Iterable[str | int] = ()) -> list[str]:
    """Slurm's expected start of the user's pending jobs."""
    argv = [*TIME_ENV, "squeue", "--start", "--noheader", "-u", validate.name(user, "user")]
    ids = list(job_ids)
    if ids:
        argv.append(f"--jobs={','.join(validate.job_ids(ids))}")
    return [*argv, "-o", SQUEUE_START_FORMAT]


def build_sstat(job_id: str | int) -> list[str]:
    """Live usage of a running job's steps (all steps unless one is named); works for the job's owner."""
    return ["sstat", "-a", "-P", "--noheader", "-j", validate.job_id(job_id), f"--format={SSTAT_FORMAT}"]


def build_scancel(job_ids: Iterable[str | int]) -> list[str]:
    """One `scancel -v` for all ids, space-separated (scancel rejects comma lists).

    Without -v, 22.05 stays silent (and may exit 0) for an unknown id or a job
    that already ended; -v names every id that failed.
    """
    return ["scancel", "-v", *validate.job_ids(job_ids, for_cancel=True)]

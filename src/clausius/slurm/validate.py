"""Validation of every dynamic value before it is put on a Slurm command line.

Values are checked against narrow patterns first (so nothing surprising can
reach Slurm, let alone a shell); quoting in `commands.to_shell` is the second
line of defence, not the first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from clausius.slurm.errors import InvalidSlurmArgument

# All patterns are ASCII-only (re.ASCII): `\d` would otherwise accept "１２".
# Users, accounts, partitions, QOS: no leading `-` (would read as an option),
# no `/`, spaces, quotes or shell metacharacters.
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}", re.ASCII)
# A job, an array task or a step: 123, 123_4, 123.batch, 123_4.0
_JOB = re.compile(r"\d{1,12}(?:_\d{1,9})?(?:\.\w{1,32})?", re.ASCII)
# scancel also takes heterogeneous components and bracketed array ranges.
_JOB_CANCEL = re.compile(r"\d{1,12}(?:_(?:\d{1,9}|\[[0-9][0-9,%-]{0,62}\]))?(?:\+\d{1,4})?(?:\.\w{1,32})?", re.ASCII)
# squeue/sacct/sprio lists: no steps (they select jobs), het `+N` is not accepted there.
_JOB_NO_STEP = re.compile(r"\d{1,12}(?:_\d{1,9})?", re.ASCII)

MAX_IDS = 1000  # one command line; the service chunks larger sets


def _check(pattern: re.Pattern[str], what: str, value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise InvalidSlurmArgument(what, value)
    text = str(value)
    if not pattern.fullmatch(text):
        raise InvalidSlurmArgument(what, value)
    return text


def name(value: object, what: str = "name") -> str:
    """A user, account, partition or QOS name."""
    return _check(_NAME, what, value)


def job_id(value: object) -> str:
    """`123`, `123_4`, `123.batch`."""
    return _check(_JOB, "job id", value)


def job_id_for_cancel(value: object) -> str:
    """Everything `job_id` accepts plus `123+1` and `123_[1-3,5%2]`."""
    return _check(_JOB_CANCEL, "job id", value)


def job_ids(values: Iterable[object], *, for_cancel: bool = False, allow_step: bool = False) -> list[str]:
    """A non-empty, de-duplicated list of ids, order kept."""
    if isinstance(values, (str, bytes)):
        raise InvalidSlurmArgument("job id list", values)
    out: list[str] = []
    for value in values:
        if for_cancel:
            text = job_id_for_cancel(value)
        elif allow_step:
            text = job_id(value)
        else:
            text = _check(_JOB_NO_STEP, "job id", value)
        if text not in out:
            out.append(text)
    if not out:
        raise InvalidSlurmArgument("job id list", "(empty)")
    if len(out) > MAX_IDS:
        raise InvalidSlurmArgument("job id list", f"{len(out)} ids (max {MAX_IDS})")
    return out


def utc_offset(value: object) -> int:
    """A UTC offset in seconds within the real range (UTC-14 … UTC+14)."""
    if isinstance(value, bool) or not isinstance(value, int) or abs(value) > 14 * 3600:
        raise InvalidSlurmArgument("UTC offset", value)
    return value


def names(values: Iterable[object], what: str) -> list[str]:
    if isinstance(values, (str, bytes)):
        raise InvalidSlurmArgument(f"{what} list", values)
    out = [name(v, what) for v in values]
    if not out:
        raise InvalidSlurmArgument(f"{what} list", "(empty)")
    return out

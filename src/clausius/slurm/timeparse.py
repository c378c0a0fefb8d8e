"""Slurm times and durations → UTC epoch seconds and seconds.

Slurm prints wall-clock times in the *cluster's* local zone (with
`SLURM_TIME_FORMAT=standard`: `2026-11-25T10:11:12`). They are converted to
UTC epoch seconds exactly once, here, using the UTC offset the cluster itself
reported (`date +%s%z`); everything downstream works with epoch floats.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

from clausius.slurm.errors import SlurmParseError

# Words Slurm prints where a time or duration is absent or unbounded.
_NO_TIME = frozenset({"", "unknown", "n/a", "none", "(null)", "invalid", "not_set"})
_NO_LIMIT = frozenset({"unlimited", "infinite", "partition_limit", "invalid", "not_set", "n/a", "none", "", "unknown"})

_STAMP = re.compile(r"(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})")
_EPOCH = re.compile(r"\d{9,11}")
_OFFSET = re.compile(r"([+-])(\d{2}):?(\d{2})")
_CLOCK = re.compile(r"(-?\d+)\s*([+-]\d{2}:?\d{2})")
_DURATION = re.compile(r"(?:(\d+)-)?(\d+)(?::(\d+))?(?::(\d+))?(?:\.(\d+))?")

MAX_OFFSET_SEC = 14 * 3600  # real zones span UTC-12 … UTC+14


def parse_utc_offset(text: str) -> int:
    """`+0100` → 3600, `-0530` → -19800 (also accepts `+01:00`)."""
    m = _OFFSET.fullmatch(text.strip())
    if not m:
        raise SlurmParseError("date", "UTC offset is not ±HHMM", text)
    hours, minutes = int(m.group(2)), int(m.group(3))
    if minutes >= 60:
        raise SlurmParseError("date", "UTC offset minutes out of range", text)
    seconds = hours * 3600 + minutes * 60
    if seconds > MAX_OFFSET_SEC:
        raise SlurmParseError("date", "UTC offset out of range", text)
    return -seconds if m.group(1) == "-" else seconds


def parse_clock(text: str) -> tuple[int, int]:
    """Output of `date +%s%z` (e.g. `1764065472+0100`) → (epoch, UTC offset seconds)."""
    m = _CLOCK.fullmatch(text.strip())
    if not m:
        raise SlurmParseError("date", "expected `<epoch>±HHMM`", text)
    return int(m.group(1)), parse_utc_offset(m.group(2))


def parse_timestamp(text: str, utc_offset_sec: int) -> float | None:
    """A cluster-local Slurm timestamp → UTC epoch seconds; `Unknown`/`N/A`/`None`/empty → None.

    A bare epoch (what `SLURM_TIME_FORMAT=%s` prints) is accepted as is.
    """
    value = text.strip()
    if value.lower() in _NO_TIME:
        return None
    if _EPOCH.fullmatch(value):
        return float(value)
    m = _STAMP.fullmatch(value)
    if not m:
        raise SlurmParseError("timestamp", "not YYYY-MM-DDTHH:MM:SS", text)
    year, month, day, hour, minute, second = (int(g) for g in m.groups())
    try:
        local = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError as exc:
        raise SlurmParseError("timestamp", f"impossible date ({exc})", text) from exc
    return local.timestamp() - utc_offset_sec


def format_local_time(epoch: float, utc_offset_sec: int) -> str:
    """UTC epoch → the cluster-local `YYYY-MM-DDTHH:MM:SS` that sacct's `-S` understands."""
    zone = timezone(timedelta(seconds=utc_offset_sec))
    return datetime.fromtimestamp(int(epoch), tz=zone).strftime("%Y-%m-%dT%H:%M:%S")


def parse_duration_precise(text: str) -> float | None:
    """`[D-]HH:MM:SS[.mmm]`, `MM:SS[.mmm]`, `D-HH[:MM]` → seconds; `UNLIMITED` & co. → None."""
    value = text.strip()
    if value.lower() in _NO_LIMIT:
        return None
    m = _DURATION.fullmatch(value)
    if not m or (m.group(1) is None and m.group(3) is None):
        raise SlurmParseError("duration", "not [D-]HH:MM:SS or MM:SS", text)
    days_s, first, second, third, frac = m.groups()
    days = int(days_s or 0)
    nums = [int(first)] + [int(x) for x in (second, third) if x is not None]
    if days_s is not None:
        # After `D-` the fields are hours[:minutes[:seconds]].
        nums += [0] * (3 - len(nums))
        hours, minutes, seconds = nums
    elif len(nums) == 3:
        hours, minutes, seconds = nums
    else:
        hours, (minutes, seconds) = 0, nums
    if minutes >= 60 or seconds >= 60:
        raise SlurmParseError("duration", "minutes or seconds ≥ 60", text)
    total = ((days * 24 + hours) * 60 + minutes) * 60 + seconds
    return total + (float(f"0.{frac}") if frac else 0.0)


def parse_duration(text: str) -> int | None:
    """Like `parse_duration_precise`, in whole seconds (fractions dropped)."""
    value = parse_duration_precise(text)
    return None if value is None else int(value)


def parse_minutes(text: str) -> int | None:
    """A limit in minutes (sacct `TimelimitRaw`) → seconds; `UNLIMITED`/`Partition_Limit` → None."""
    value = text.strip()
    if value.lower() in _NO_LIMIT:
        return None
    if not value.isdigit():
        raise SlurmParseError("duration", "minutes are not an integer", text)
    return int(value) * 60

"""Slurm times → UTC epoch, durations → seconds."""

from __future__ import annotations

import math

import pytest

from clausius.slurm.errors import SlurmParseError
from clausius.slurm.timeparse import (
    format_local_time,
    parse_clock,
    parse_duration,
    parse_duration_precise,
    parse_minutes,
    parse_timestamp,
    parse_utc_offset,
)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("+0000", 0), ("+0100", 3600), ("-0530", -19800), ("+05:45", 20700), ("+1400", 50400), ("-1200", -43200)],
)
def test_utc_offset(text: str, seconds: int) -> None:
    assert parse_utc_offset(text) == seconds


@pytest.mark.parametrize("text", ["0100", "+1", "+0160", "+1500", "UTC", ""])
def test_bad_utc_offset(text: str) -> None:
    with pytest.raises(SlurmParseError):
        parse_utc_offset(text)


def test_clock() -> None:
    assert parse_clock("1764065472+0100\n") == (1764065472, 3600)
    assert parse_clock("1764065472-0530") == (1764065472, -19800)
    with pytest.raises(SlurmParseError):
        parse_clock("Tue Nov 25 10:11:12 CET 2026")


def test_timestamp_uses_the_cluster_offset() -> None:
    # 10:11:12 at UTC+1 is 09:11:12 UTC.
    utc = parse_timestamp("2026-11-25T09:11:12", 0)
    assert parse_timestamp("2026-11-25T10:11:12", 3600) == utc
    assert parse_timestamp("2026-11-25T03:41:12", -19800) == utc
    assert utc == 1795597872.0


@pytest.mark.parametrize("text", ["Unknown", "N/A", "None", "", "  ", "(null)"])
def test_timestamp_absent(text: str) -> None:
    assert parse_timestamp(text, 3600) is None


def test_timestamp_bare_epoch_is_taken_as_utc() -> None:
    assert parse_timestamp("1764065472", 3600) == 1764065472.0


@pytest.mark.parametrize("text", ["2026-13-01T00:00:00", "2026-02-30T00:00:00", "yesterday", "2026-11-25"])
def test_bad_timestamp(text: str) -> None:
    with pytest.raises(SlurmParseError):
        parse_timestamp(text, 0)


def test_format_local_time_round_trips() -> None:
    epoch = 1795597872
    for offset in (0, 3600, -19800, 50400):
        assert parse_timestamp(format_local_time(epoch, offset), offset) == epoch


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("0:00", 0),
        ("0:05", 5),
        ("30:00", 1800),
        ("1:02:03", 3723),
        ("01:02:03", 3723),
        ("1-00:00:00", 86400),
        ("2-03:04:05", 2 * 86400 + 3 * 3600 + 4 * 60 + 5),
        ("1-12", 86400 + 12 * 3600),
        ("5-00:30", 5 * 86400 + 1800),
    ],
)
def test_duration(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


def test_duration_fractions() -> None:
    assert parse_duration_precise("00:00.012") == pytest.approx(0.012)
    assert parse_duration_precise("01:02:03.500") == pytest.approx(3723.5)
    assert parse_duration("00:01.999") == 1


@pytest.mark.parametrize("text", ["UNLIMITED", "INVALID", "Partition_Limit", "NOT_SET", "infinite", "N/A", ""])
def test_unlimited_duration_is_none(text: str) -> None:
    assert parse_duration(text) is None


@pytest.mark.parametrize("text", ["1:60", "1:2:3:4", "abc", "5", "-1:00", "1-"])
def test_bad_duration(text: str) -> None:
    with pytest.raises(SlurmParseError):
        parse_duration(text)


def test_minutes() -> None:
    assert parse_minutes("30") == 1800
    assert parse_minutes("UNLIMITED") is None
    assert parse_minutes("Partition_Limit") is None
    with pytest.raises(SlurmParseError):
        parse_minutes("1.5")
    assert not math.isnan(float(parse_minutes("0") or 0))

"""Access to the outputs recorded from the real lab (scripts/record-fixtures)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "slurm" / "22.05"


@dataclass(frozen=True)
class Recorded:
    out: str
    err: str
    meta: dict[str, Any]

    @property
    def offset(self) -> int:
        return int(self.meta["utc_offset_sec"])

    @property
    def epoch(self) -> int:
        """The cluster's clock (UTC epoch) just before the command ran."""
        return int(self.meta["epoch"])


def load(command: str, name: str) -> Recorded:
    base = ROOT / command / name
    return Recorded(
        out=base.with_suffix(".out").read_text(),
        err=base.with_suffix(".err").read_text(),
        meta=json.loads(base.with_suffix(".json").read_text()),
    )


def names(command: str) -> list[str]:
    return sorted(p.stem for p in (ROOT / command).glob("*.out"))


@cache
def job_ids() -> dict[str, dict[str, str]]:
    """Job name → id per cluster for this recording (ids change when fixtures are re-recorded)."""
    data: dict[str, dict[str, str]] = json.loads((ROOT / "jobs.json").read_text())
    return data


def jid(name: str, cluster: str = "alpha") -> str:
    return job_ids()[cluster][name]

"""Progress read from the tail of a log: tqdm bars, `N/M` counters, `Step N/M`, `epoch N/M`.

The last credible reading in the text wins. 0 % is a reading (not "no progress"); text that
only looks like progress — `0.0%` from vLLM statistics, dates, IP prefixes, paths — is not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

WINDOW = 65536
_MAX_LINE = 200

# `45%|` / `45% ` / `45%` at a line end; not `0.0%` or `100.0%` (preceded by a digit or dot).
_PERCENT = re.compile(r"(?<![\d.])(\d{1,3})%(?=[|\s]|$)", re.MULTILINE | re.ASCII)
# `N/M` right after a keyword; not followed by another `/` or a decimal part (dates, `1/2.5`).
_N = r"(\d{1,9})\s*/\s*(\d{1,9})(?![\d/]|\.\d)"
_COUNTERS = (
    # tqdm: ` 12/100 [00:01<00:09, 9.8it/s]`
    re.compile(r"(?<![\w./:-])(\d{1,9})/(\d{1,9}) \[", re.ASCII),
    # `Step 120/500`, `epoch: 3/10`, `Epoch [3/10]`, `iteration 5 / 100`, `global_step=7/70`
    re.compile(
        r"\b(?:global[_ ]?)?(?:step|epoch|iter|iteration|batch|chunk|shard|round)s?\b\s*[:=#]?\s*\[?\s*" + _N,
        re.IGNORECASE | re.ASCII,
    ),
    # `[ 42/128]`
    re.compile(r"\[\s*(\d{1,9})\s*/\s*(\d{1,9})\s*\]", re.ASCII),
)


@dataclass(frozen=True, slots=True)
class ProgressReading:
    percent: float  # 0–100
    source_line: str  # the line (or carriage-return segment) the reading came from


def _segment(text: str, start: int, end: int) -> str:
    """The tqdm update (between carriage returns / newlines) containing text[start:end]."""
    left = max(text.rfind("\n", 0, start), text.rfind("\r", 0, start)) + 1
    stops = [i for i in (text.find("\n", end), text.find("\r", end)) if i != -1]
    right = min(stops) if stops else len(text)
    line = text[left:right].strip()
    return line if len(line) <= _MAX_LINE else line[: _MAX_LINE - 1] + "…"


def progress(log_tail: str) -> ProgressReading | None:
    """The most recent progress in the log, or None when nothing credible matches."""
    text = log_tail[-WINDOW:]
    best: tuple[int, float, int, int] | None = None  # (position, percent, start, end)
    for match in _PERCENT.finditer(text):
        value = float(match.group(1))
        if value <= 100.0 and (best is None or match.start() >= best[0]):
            best = (match.start(), value, match.start(), match.end())
    for pattern in _COUNTERS:
        for match in pattern.finditer(text):
            done, total = int(match.group(1)), int(match.group(2))
            if total <= 0 or done > total:
                continue
            # A counter on the same tqdm line as a percentage comes after it; a tie keeps the later one.
            position = match.start(1)
            if best is None or position >= best[0]:
                best = (position, done * 100.0 / total, match.start(), match.end())
    if best is None:
        return None
    _, percent, start, end = best
    return ProgressReading(percent=percent, source_line=_segment(text, start, end))

"""The one-round-trip refresh: a bash script and the parser of its output.

The script prints three sections — `clock` (`date +%s%z`), `squeue` (the
user's jobs) and `sacct` (their jobs active since the last refresh) — each
framed on BOTH stdout and stderr by marker lines carrying a random nonce:

    @@clausius:<nonce>:begin:<section>
    @@clausius:<nonce>:end:<section>:<exit code>

Only whole lines with the exact nonce count, so login banners, MOTD, a job
named like a marker, or one failing command cannot corrupt other sections.
The script works piped into `bash -l -s` and as `bash -lc '<script>'`; every
command reads /dev/null so none can swallow the rest of a piped script. Prefer
`bash -l -s`: the remote command string then stays trivial for any login shell
(csh cannot hold a multi-line quoted argument).
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from clausius.slurm import commands, validate
from clausius.slurm.errors import InvalidSlurmArgument, SlurmParseError
from clausius.slurm.models import RemoteClock, SacctJob, SqueueJob
from clausius.slurm.sacct import parse_sacct
from clausius.slurm.squeue import parse_squeue
from clausius.slurm.timeparse import format_local_time, parse_clock

SECTIONS = ("clock", "squeue", "sacct")
MARKER_PREFIX = "@@clausius"
_NONCE = re.compile(r"[0-9a-f]{8,64}")
_SINCE_VAR = "__clausius_since"
_PLACEHOLDER = "__CLAUSIUS_SINCE__"


def new_nonce() -> str:
    return secrets.token_hex(8)


@dataclass(frozen=True, slots=True)
class RefreshScript:
    text: str  # the bash script
    nonce: str  # pass to parse_refresh
    since_epoch: float  # the sacct window start actually used (after clamping)


def build_refresh_script(
    user: str,
    since_epoch: float,
    utc_offset_hint: int,
    nonce: str | None = None,
    *,
    now_epoch: float | None = None,
    max_window_sec: int = commands.MAX_SACCT_WINDOW_SEC,
) -> RefreshScript:
    """The refresh script for `user`.

    `since_epoch` (UTC) becomes sacct's `-S`: the remote GNU `date -d @EPOCH`
    renders it in the cluster's own zone (DST-exact); `utc_offset_hint` (the
    offset seen last time) is the fallback where `date -d` is unavailable.
    The window is clamped to `max_window_sec` before `now_epoch` (local clock).
    """
    nonce = new_nonce() if nonce is None else nonce
    if not isinstance(nonce, str) or not _NONCE.fullmatch(nonce):
        raise InvalidSlurmArgument("refresh nonce", nonce)
    since = commands.clamp_since(since_epoch, time.time() if now_epoch is None else now_epoch, max_window_sec)
    epoch = int(since)
    fallback = format_local_time(since, validate.utc_offset(utc_offset_hint))
    squeue = commands.to_shell(commands.build_squeue_user(validate.name(user, "user")))
    sacct_argv = commands.sacct_window(user, _PLACEHOLDER)
    sacct = commands.to_shell(sacct_argv).replace(_PLACEHOLDER, f'"${_SINCE_VAR}"')
    mark = f"{MARKER_PREFIX}:{nonce}"
    text = f"""# clausius refresh: clock, squeue, sacct, each framed by nonce markers on stdout and stderr
export SLURM_TIME_FORMAT=standard
__clausius_mark() {{ printf '\\n{mark}:%s\\n' "$1"; printf '\\n{mark}:%s\\n' "$1" >&2; }}
__clausius_mark begin:clock
date +%s%z </dev/null
__clausius_mark "end:clock:$?"
{_SINCE_VAR}=$(date -d @{epoch} +%Y-%m-%dT%H:%M:%S 2>/dev/null </dev/null) || {_SINCE_VAR}=''
[ -n "${_SINCE_VAR}" ] || {_SINCE_VAR}='{fallback}'
__clausius_mark begin:squeue
{squeue} </dev/null
__clausius_mark "end:squeue:$?"
__clausius_mark begin:sacct
{sacct} </dev/null
__clausius_mark "end:sacct:$?"
"""
    return RefreshScript(text=text, nonce=nonce, since_epoch=since)


@dataclass(frozen=True, slots=True)
class RefreshSection:
    name: str
    present: bool  # its begin marker was seen
    complete: bool  # its end marker was seen
    exit_code: int | None
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.present and self.complete and self.exit_code == 0


@dataclass(frozen=True, slots=True)
class RefreshResult:
    sections: Mapping[str, RefreshSection]
    clock: RemoteClock | None
    squeue_jobs: tuple[SqueueJob, ...] | None  # None: section failed, see errors
    sacct_jobs: tuple[SacctJob, ...] | None
    errors: Mapping[str, str] = field(default_factory=dict)  # section → what went wrong
    noise: str = ""  # stdout outside any section (banners, MOTD)


@dataclass
class _Frame:
    content: list[str] = field(default_factory=list)
    exit_code: int | None = None
    complete: bool = False


def _frames(stream: str, nonce: str) -> tuple[dict[str, _Frame], list[str]]:
    mark = re.escape(f"{MARKER_PREFIX}:{nonce}")
    begin = re.compile(rf"{mark}:begin:([a-z]+)")
    end = re.compile(rf"{mark}:end:([a-z]+):(\d{{1,3}})")
    frames: dict[str, _Frame] = {}
    noise: list[str] = []
    current: _Frame | None = None
    current_name = ""
    for raw in stream.split("\n"):
        line = raw.removesuffix("\r")
        if m := begin.fullmatch(line):
            current_name = m.group(1)
            current = frames[current_name] = _Frame()  # a repeated begin restarts the section
            continue
        if (m := end.fullmatch(line)) and current is not None and m.group(1) == current_name:
            if current.content and current.content[-1] == "":
                current.content.pop()  # the newline our marker printed first
            current.exit_code, current.complete = int(m.group(2)), True
            current = None
            continue
        (current.content if current is not None else noise).append(line)
    return frames, noise


def _text(lines: list[str]) -> str:
    return "\n".join(lines) + "\n" if lines else ""


def parse_refresh(stdout: str, stderr: str, nonce: str, *, fallback_utc_offset: int | None = None) -> RefreshResult:
    """Split the script's output into sections and parse them.

    Times are converted with the UTC offset the same run reported (or
    `fallback_utc_offset` if the clock section failed). Raises SlurmParseError
    only when no marker of this nonce is on stdout at all.
    """
    out_frames, noise = _frames(stdout, nonce)
    err_frames, _ = _frames(stderr, nonce)
    if not out_frames:
        raise SlurmParseError("refresh", "no section markers in the output (script did not run?)", stdout + stderr)
    sections: dict[str, RefreshSection] = {}
    errors: dict[str, str] = {}
    for name in SECTIONS:
        out, err = out_frames.get(name), err_frames.get(name)
        exit_code = out.exit_code if out is not None and out.complete else (err.exit_code if err else None)
        section = RefreshSection(
            name=name,
            present=out is not None,
            complete=out is not None and out.complete,
            exit_code=exit_code,
            stdout=_text(out.content) if out else "",
            stderr=_text(err.content) if err else "",
        )
        sections[name] = section
        if not section.present:
            errors[name] = "section missing"
        elif not section.complete:
            errors[name] = "section cut short (no end marker)"
        elif section.exit_code != 0:
            first = next((ln.strip() for ln in section.stderr.split("\n") if ln.strip()), "")
            errors[name] = f"exit code {section.exit_code}" + (f": {first}" if first else "")

    clock = None
    if "clock" not in errors:
        try:
            clock = RemoteClock(*parse_clock(sections["clock"].stdout))
        except SlurmParseError as exc:
            errors["clock"] = str(exc)
    offset = clock.utc_offset_sec if clock is not None else fallback_utc_offset

    squeue_jobs: tuple[SqueueJob, ...] | None = None
    sacct_jobs: tuple[SacctJob, ...] | None = None
    for name in ("squeue", "sacct"):
        if name in errors:
            continue
        if offset is None:
            errors[name] = "no UTC offset to convert times (clock section failed)"
            continue
        try:
            if name == "squeue":
                squeue_jobs = tuple(parse_squeue(sections[name].stdout, offset))
            else:
                sacct_jobs = tuple(parse_sacct(sections[name].stdout, offset))
        except SlurmParseError as exc:
            errors[name] = str(exc)
    return RefreshResult(
        sections=sections,
        clock=clock,
        squeue_jobs=squeue_jobs,
        sacct_jobs=sacct_jobs,
        errors=errors,
        noise=_text([ln for ln in noise if ln.strip()]),
    )

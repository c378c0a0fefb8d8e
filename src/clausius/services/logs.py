"""Job logs: which files a job wrote, and bounded reads of them with crash class and progress.

Where a job writes comes from Slurm (`scontrol show job`: StdOut/StdErr), remembered in
the job's row. Only those files and their siblings named after the job can be read:
`read_log` accepts a path only if `list_log_files` lists it for that job, so no caller
can use it to read anything else on the cluster. Names are not enough: every file's real
path is resolved on the cluster (in the same SFTP batch as its stat) and must lie inside
the job's own directories (the real directories of its logs, and its working directory),
so a link named after the job that leads to `~/.ssh/id_ed25519` is listed as refused and
never read. Reads then go to the resolved path. Every remote call has a deadline and
every read is bounded (at most 1 MiB).
"""

from __future__ import annotations

import asyncio
import posixpath
import re
from dataclasses import dataclass, replace
from typing import Literal

from pydantic import BaseModel, Field

from clausius.core.crash import assess, classify
from clausius.core.job_record import JobRow
from clausius.core.job_states import is_terminal
from clausius.core.paths import PathNotAllowed, confine
from clausius.core.processes import parse_process_job_id
from clausius.core.progress import progress
from clausius.errors import InvalidInput, NotFound
from clausius.remote.base import DirEntry, FileStat, Transport
from clausius.remote.errors import CommandTimeout, RemoteFileError
from clausius.services.agent import ClusterAgent
from clausius.services.board import BoardService
from clausius.services.deadlines import Deadlines
from clausius.services.inspection import lookup_paths
from clausius.services.local_agent import LOCAL
from clausius.services.registry import RegistryService
from clausius.services.settings import SettingsService
from clausius.services.transports import TransportRegistry
from clausius.slurm import validate
from clausius.slurm.commands import build_scontrol_job
from clausius.slurm.errors import SlurmParseError
from clausius.slurm.scontrol import parse_scontrol_jobs
from clausius.store import jobs_repo
from clausius.store.database import Database

MAX_TAIL_BYTES = 1_048_576
DEFAULT_TAIL_BYTES = 16384
MAX_SIBLINGS = 200  # files named after the job taken from one directory listing
# A file named after the job but older than the job (ids restart, e.g. after a Slurm
# re-install) belongs to another job: ignore siblings modified this long before submission.
SIBLING_AGE_MARGIN_SEC = 600

Role = Literal["stdout", "stderr", "stdout+stderr", "other"]


class LogFile(BaseModel):
    """One file a job wrote (or will write)."""

    path: str = Field(description="Absolute path on the cluster (as Slurm reports it, patterns expanded).")
    role: Role = Field(
        description="stdout / stderr of the batch script, stdout+stderr when both go to one file, "
        "other = another file in the same directory whose name contains the job id."
    )
    size: int | None = Field(description="Size in bytes; null when the file does not exist.")
    modified: float | None = Field(description="Last modification (UTC epoch seconds); null when it does not exist.")
    exists: bool = Field(description="False for a log the job has not created yet (e.g. still pending) or deleted.")
    is_link: bool = Field(default=False, description="The name is a symbolic link; its target is what is read.")
    refused: str | None = Field(
        default=None,
        description="Why this file is not read: it leads outside the job's own directories (a symbolic link). "
        "Null for a file that can be read.",
    )


class LogFiles(BaseModel):
    """The log files of one job."""

    cluster: str = Field(description="Cluster name as configured in clausius.")
    job_id: str = Field(description="Slurm job id as the board shows it (123, or 45_6 for an array task).")
    files: list[LogFile] = Field(description="stdout/stderr first, then other files named after the job.")
    note: str | None = Field(default=None, description="Why the list may be incomplete or empty.")


class LogTail(BaseModel):
    """A bounded, line-aligned piece of one log file, with what clausius reads in it."""

    cluster: str = Field(description="Cluster name as configured in clausius.")
    job_id: str = Field(description="Slurm job id as the board shows it (123, or 45_6 for an array task).")
    path: str = Field(description="The file read (one of the job's log files).")
    size: int = Field(description="The file's size in bytes when it was read.")
    start_offset: int = Field(description="Byte offset in the file where `text` starts.")
    end_offset: int = Field(description="Byte offset in the file where `text` ends (exclusive).")
    more_before: bool = Field(
        description="There is earlier content: call again with before=start_offset to read the part before this one."
    )
    text: str = Field(description="The bytes start_offset..end_offset decoded as UTF-8 (bad bytes replaced).")
    lines: int = Field(description="Number of lines in `text`.")
    state: str | None = Field(
        description="The job's state as clausius knows it (for a job not on the board yet: as scontrol reports it)."
    )
    crash_kind: str | None = Field(
        description="Crash class of this text together with the job's state and exit code "
        "(oom, segfault, traceback, cuda, nccl, srun, timeout, exit_code, …); null when nothing looks wrong."
    )
    crash_line: str | None = Field(description="The log line (or summary) the crash class is based on.")
    progress: float | None = Field(
        description="Percent done read from this text (tqdm bars, `step N/M`, …), for jobs still running."
    )


@dataclass(frozen=True)
class _Located:
    row: JobRow  # from the board or the history, else what scontrol says (not stored)
    transport: Transport
    files: list[LogFile]
    note: str | None
    real_paths: dict[str, str]  # listed path → where it really is on the cluster (what is read)


def seconds(settings: SettingsService) -> float:
    """The deadline of one remote call."""
    return Deadlines(settings).command


def check_job_id(cluster: str, job_id: str, what: str = "logs") -> str:
    """A job id Slurm commands accept (123, 45_6); local processes have no logs or accounting."""
    if cluster == LOCAL and parse_process_job_id(job_id) is not None:
        raise InvalidInput(
            f"{job_id} is a local process: {what} of local processes are not tracked",
            hint="logs and statistics exist for Slurm jobs only",
        )
    (checked,) = validate.job_ids([job_id])
    return checked


async def find_row(agent: ClusterAgent, db: Database, job_id: str) -> JobRow | None:
    """The job as the board shows it (queue first, then pinned), else as the history has it."""
    for rows in (agent.snapshot.live, agent.snapshot.pinned):
        row = next((r for r in rows if r.job_id == job_id), None)
        if row is not None:
            if not (row.std_out or row.std_err):  # paths are learned after the snapshot was taken
                stored = await db.read(lambda c: jobs_repo.get(c, agent.name, job_id))
                if stored is not None and (stored.std_out or stored.std_err):
                    row = replace(row, std_out=stored.std_out, std_err=stored.std_err, work_dir=stored.work_dir)
            return row
    return await db.read(lambda c: jobs_repo.get(c, agent.name, job_id))


def _usable(path: str | None) -> str | None:
    """Absolute paths only, never one with `..` (nothing is resolved on the cluster's side)."""
    if not path or not path.startswith("/") or "\x00" in path or "\n" in path:
        return None
    if ".." in path.split("/"):
        return None
    return posixpath.normpath(path)


def _id_pattern(row: JobRow, job_id: str) -> re.Pattern[str]:
    """The job id (or an array task's own numeric id) as a whole number in a file name."""
    ids = {job_id}
    if row.raw_id and row.raw_id.isdigit():
        ids.add(row.raw_id)
    alternatives = "|".join(re.escape(i) for i in sorted(ids, key=len, reverse=True))
    return re.compile(rf"(?<![0-9])(?:{alternatives})(?![0-9])")


class LogService:
    def __init__(
        self,
        db: Database,
        settings: SettingsService,
        transports: TransportRegistry,
        registry: RegistryService,
        board: BoardService,
    ) -> None:
        self._db = db
        self._settings = settings
        self._transports = transports
        self._registry = registry
        self._board = board

    async def list_log_files(self, cluster: str, job_id: str) -> LogFiles:
        """The job's stdout and stderr (one entry when they are the same file) and other files named after it.

        Paths come from the job's row; a job whose paths clausius has not learned yet costs one
        `scontrol show job`. Files are stat'ed and their directory listed once over SFTP.
        """
        located = await self._locate(cluster, job_id)
        return LogFiles(cluster=cluster, job_id=job_id, files=located.files, note=located.note)

    async def read_log(
        self,
        cluster: str,
        job_id: str,
        *,
        path: str | None = None,
        tail_bytes: int = DEFAULT_TAIL_BYTES,
        before: int | None = None,
    ) -> LogTail:
        """The last `tail_bytes` of a log (or the `tail_bytes` ending at offset `before`), line-aligned.

        `path` must be one of the files `list_log_files` lists for the job. Without it the
        error log is read when it has content (a failed job's traceback is usually there),
        else the output log. Crash class and progress are read from the returned text.
        """
        if isinstance(tail_bytes, bool) or not 1 <= tail_bytes <= MAX_TAIL_BYTES:
            raise InvalidInput(f"tail_bytes must be between 1 and {MAX_TAIL_BYTES}, not {tail_bytes}")
        if before is not None and (isinstance(before, bool) or before < 0):
            raise InvalidInput(f"before must be a byte offset ≥ 0, not {before}")
        located = await self._locate(cluster, job_id)
        chosen = self._choose(located, job_id, path)
        size = chosen.size or 0
        end = size if before is None else min(before, size)
        start = max(0, end - tail_bytes)
        data = b""
        if end > start:
            real = located.real_paths[chosen.path]  # the checked target, not the name (which may be re-pointed)
            data = await located.transport.read(real, start, end - start, timeout=seconds(self._settings))
        end = start + len(data)  # a file truncated since the stat gives less
        cut = data.find(b"\n") if start > 0 else -1
        if -1 < cut < len(data) - 1:  # drop the partial first line, unless nothing would be left
            start, data = start + cut + 1, data[cut + 1 :]
        text = data.decode(errors="replace")
        row = located.row
        crash_kind, crash_line = _crash(row, text)
        reading = progress(text) if text and not is_terminal(row.state) else None
        return LogTail(
            cluster=cluster,
            job_id=job_id,
            path=chosen.path,
            size=size,
            start_offset=start,
            end_offset=end,
            more_before=start > 0,
            text=text,
            lines=text.count("\n") + (1 if text and not text.endswith("\n") else 0),
            state=row.state or None,
            crash_kind=crash_kind,
            crash_line=crash_line,
            progress=reading.percent if reading else None,
        )

    # -- internals ------------------------------------------------------------------------------------

    def _choose(self, located: _Located, job_id: str, path: str | None) -> LogFile:
        if path is not None:
            match = next((f for f in located.files if f.path == path), None)
            if match is None:
                listed = ", ".join(f.path for f in located.files) or "none known"
                raise InvalidInput(f"{path} is not a log file of job {job_id}; these are: {listed}")
        else:
            std = {f.role: f for f in located.files if f.role != "other"}
            err = std.get("stderr")
            out = std.get("stdout+stderr") or std.get("stdout")
            match = err if err is not None and err.size else (out or err)
            if match is None:
                raise NotFound(f"no log file is known for job {job_id}", hint=located.note)
        if not match.exists:
            raise NotFound(f"{match.path} does not exist (yet)", hint=located.note)
        if match.refused:
            raise PathNotAllowed(match.refused, hint="clausius reads only files inside the job's own directories")
        return match

    async def _locate(self, cluster: str, job_id: str) -> _Located:
        agent = await self._board.agent(cluster)  # NotFound naming the known clusters
        job_id = check_job_id(cluster, job_id)
        row = await find_row(agent, self._db, job_id)
        transport = await self._transports.get(cluster)
        timeout = seconds(self._settings)
        if row is None:  # not on the board (yet): one scontrol tells its state and where it writes
            row = await _ask_slurm(transport, cluster, job_id, agent.snapshot.utc_offset, timeout * 2)
            if row is None:
                raise NotFound(
                    f"job {job_id} is not known on {cluster}",
                    hint="clausius has no record of it and scontrol does not know it; "
                    "Slurm forgets where a finished job wrote its logs after a few minutes",
                )
        std_out, std_err = row.std_out, row.std_err
        if not (std_out or std_err):
            found = await lookup_paths(transport, [row], agent.snapshot.utc_offset, timeout * 2)
            if job_id in found:
                paths = {job_id: found[job_id]}
                std_out, std_err = found[job_id][0] or None, found[job_id][1] or None
                await self._db.write(lambda c: jobs_repo.set_paths(c, cluster, paths))
        files, real_paths, note = await _files(transport, row, job_id, std_out, std_err, timeout)
        if row.state == "PENDING" and not any(f.exists for f in files):
            note = "; ".join(n for n in ("the job is pending: it has not written its logs yet", note) if n)
        return _Located(row=row, transport=transport, files=files, note=note, real_paths=real_paths)


async def _files(
    transport: Transport,
    row: JobRow,
    job_id: str,
    std_out: str | None,
    std_err: str | None,
    timeout: float,
) -> tuple[list[LogFile], dict[str, str], str | None]:
    """The job's log files, each with its real path and whether the confinement rule lets it be read.

    One SFTP batch stats and resolves the stdout/stderr files, lists and resolves their directories
    and resolves the working directory; a second one resolves and stats siblings that are links.
    """
    if not (std_out or std_err):
        return (
            [],
            {},
            "Slurm no longer reports where this job wrote its logs (it forgets finished jobs after "
            "a few minutes, and clausius had not asked before)",
        )
    notes: list[str] = []
    out, err = _usable(std_out), _usable(std_err)
    for given, usable in ((std_out, out), (std_err, err)):
        if given and usable is None:
            notes.append(f"not a usable path (relative or with '..'): {given!r}")
    wanted: dict[str, Role] = {}
    if out:
        wanted[out] = "stdout"
    if err:
        wanted[err] = "stdout+stderr" if err == out else "stderr"
    discarded = [p for p in wanted if p.startswith("/dev/")]
    for p in discarded:
        notes.append(f"{wanted.pop(p)} goes to {p}")
    folders = sorted({posixpath.dirname(p) for p in wanted})
    work_dir = _usable(row.work_dir)
    stats, wanted_real, listings, folders_real, work_real = await asyncio.gather(
        asyncio.gather(*(_stat(transport, p, timeout) for p in wanted)),
        asyncio.gather(*(_real(transport, p, timeout) for p in wanted)),
        asyncio.gather(*(_listdir(transport, d, timeout) for d in folders)),
        asyncio.gather(*(_real(transport, d, timeout) for d in folders)),
        _real(transport, work_dir, timeout) if work_dir else _nothing(),
    )
    roots = sorted({r for r in (*folders_real, work_real) if r})
    real_paths: dict[str, str] = {}
    files: list[LogFile] = []
    for (p, role), st, real in zip(wanted.items(), stats, wanted_real, strict=True):
        if real is not None:
            real_paths[p] = real
        files.append(_log_file(p, role, st, real, roots, is_link=real is not None and real != p))
    pattern = _id_pattern(row, job_id)
    oldest = (row.submit_time - SIBLING_AGE_MARGIN_SEC) if row.submit_time else None
    others: list[tuple[DirEntry, str | None]] = []  # with the real directory it was listed in
    for folder, listing, folder_real in zip(folders, listings, folders_real, strict=True):
        if isinstance(listing, str):
            notes.append(f"could not list {folder}: {listing}")
            continue
        others += [
            (e, folder_real)
            for e in listing
            if not e.is_dir
            and e.path not in wanted
            and pattern.search(e.name)
            and (oldest is None or e.mtime >= oldest)
            and _usable(e.path) == e.path
        ]
    if len(others) > MAX_SIBLINGS:
        notes.append(f"{len(others) - MAX_SIBLINGS} more files named after the job were left out")
    others = sorted(others, key=lambda pair: pair[0].path)[:MAX_SIBLINGS]
    links = [e for e, _ in others if e.is_link]
    link_stats, link_reals = await asyncio.gather(
        asyncio.gather(*(_stat(transport, e.path, timeout) for e in links)),
        asyncio.gather(*(_real(transport, e.path, timeout) for e in links)),
    )
    followed = {e.path: (st, real) for e, st, real in zip(links, link_stats, link_reals, strict=True)}
    for entry, folder_real in others:
        if entry.path in followed:
            st, real = followed[entry.path]
            if st is None and real is not None:
                continue  # a link to a directory
        else:
            st = FileStat(path=entry.path, size=entry.size, mtime=entry.mtime, is_dir=False)
            real = posixpath.join(folder_real, entry.name) if folder_real else None
        if real is not None:
            real_paths[entry.path] = real
        files.append(_log_file(entry.path, "other", st, real, roots, is_link=entry.is_link))
    refused = sum(1 for f in files if f.refused)
    if refused:
        notes.append(f"{refused} file(s) lead outside the job's directories and are not read")
    return files, real_paths, "; ".join(notes) or None


def _log_file(
    path: str, role: Role, st: FileStat | None, real: str | None, roots: list[str], *, is_link: bool
) -> LogFile:
    """One listed file; an existing file is refused unless its real path is inside the job's directories."""
    refused = None
    if st is not None:
        try:
            confine(real or "", roots)
        except PathNotAllowed:
            refused = f"{path} leads outside the job's own directories ({', '.join(roots) or 'none resolved'})"
    return LogFile(
        path=path,
        role=role,
        size=st.size if st else None,
        modified=st.mtime if st else None,
        exists=st is not None,
        is_link=is_link,
        refused=refused,
    )


async def _ask_slurm(transport: Transport, cluster: str, job_id: str, utc_offset: int, timeout: float) -> JobRow | None:
    """The job as `scontrol show job` reports it (None when Slurm does not know it)."""
    result = await transport.run(build_scontrol_job(job_id), timeout=timeout)
    try:
        jobs = parse_scontrol_jobs(result.stdout, utc_offset)
    except SlurmParseError:
        return None
    for job in jobs:
        shown = f"{job.array_job_id}_{job.array_task}" if job.array_job_id and job.array_task else job.job_id
        if job_id in (shown, job.job_id):
            return JobRow(
                cluster=cluster,
                job_id=job_id,
                state=job.state,
                name=job.name,
                raw_id=job.job_id,
                user=job.user,
                reason=job.reason,
                exit_code=job.exit_code,
                signal=job.signal,
                submit_time=job.submit_time,
                std_out=job.std_out or None,
                std_err=job.std_err or None,
                work_dir=job.work_dir or None,
            )
    return None


async def _stat(transport: Transport, path: str, timeout: float) -> FileStat | None:
    try:
        st = await transport.stat(path, timeout=timeout)
    except RemoteFileError:
        return None  # not created yet, or deleted
    return None if st.is_dir else st


async def _real(transport: Transport, path: str, timeout: float) -> str | None:
    """Where `path` really is (links resolved on the cluster); None when it does not exist."""
    try:
        return await transport.realpath(path, timeout=timeout)
    except RemoteFileError:
        return None


async def _nothing() -> None:
    return None


async def _listdir(transport: Transport, folder: str, timeout: float) -> list[DirEntry] | str:
    """The directory's entries, or why they could not be read (the job's own logs still count)."""
    try:
        return await transport.listdir(folder, timeout=timeout)
    except (RemoteFileError, CommandTimeout) as exc:
        return exc.message


def _crash(row: JobRow, text: str) -> tuple[str | None, str | None]:
    """Crash class of this text: finished jobs with their final state and exit code, others by the log alone."""
    if is_terminal(row.state):
        crash = assess(row.state, row.exit_code, row.signal, row.reason or "", text).crash
    else:
        crash = classify(row.state, None, None, "", text)
    if crash is None:
        return None, None
    return crash.kind, crash.line or crash.detail

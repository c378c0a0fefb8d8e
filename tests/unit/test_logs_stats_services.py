"""LogService and StatsService over a real temporary database and an in-memory cluster (fake transport).

The lab test (tests/integration/test_logs_lab.py) proves the same over SSH; these pin the rules:
which files count as a job's logs, line-aligned paging, confinement, and how stats are combined.
"""

from __future__ import annotations

import asyncio
import itertools
import posixpath
import time
from collections.abc import Coroutine, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clausius.bootstrap import Bootstrap
from clausius.core.config_models import ClusterSpec
from clausius.core.job_record import JobRow
from clausius.errors import InvalidInput, NotFound
from clausius.remote.base import CommandResult, DirEntry, FileStat, Lane, TransportStats
from clausius.remote.errors import RemoteFileError, Unreachable
from clausius.services.app import Services
from clausius.services.logs import LogTail
from clausius.services.stats import GPU_NOTE
from clausius.store import jobs_repo
from tests.unit.slurm.recorded import load

T = TypeVar("T")
NOW = time.time()
RUN = "/data/run"


class FakeCluster:
    """Files in memory, canned command output by program name; counts what was asked."""

    name = "eos"

    def __init__(self) -> None:
        self.files: dict[str, tuple[bytes, float]] = {}
        self.dirs: set[str] = {"/", "/data", RUN}
        self.outputs: dict[str, CommandResult | Exception] = {}
        self.commands: list[list[str]] = []
        self.reads: list[tuple[str, int, int]] = []

    def add(self, path: str, data: bytes | str, mtime: float = NOW) -> None:
        self.files[path] = (data.encode() if isinstance(data, str) else data, mtime)

    def answer(self, program: str, out: str = "", err: str = "", rc: int = 0) -> None:
        self.outputs[program] = CommandResult(rc=rc, stdout=out, stderr=err, duration=0.01)

    async def run(
        self, argv: Sequence[str], *, timeout: float, lane: Lane = "control", max_output: int = 0
    ) -> CommandResult:
        self.commands.append(list(argv))
        program = next(a for a in argv if a in ("sacct", "sstat", "scontrol"))
        result = self.outputs.get(program, CommandResult(rc=1, stdout="", stderr="not set up", duration=0))
        if isinstance(result, Exception):
            raise result
        return result

    async def run_script(
        self, script: str, *, timeout: float, lane: Lane = "control", max_output: int = 0
    ) -> CommandResult:
        return await self.run(["scontrol"], timeout=timeout)

    async def read(self, path: str, offset: int, length: int, *, timeout: float) -> bytes:
        self.reads.append((path, offset, length))
        data = self._file(path)[0]
        start = max(0, len(data) + offset) if offset < 0 else offset
        return data[start : start + length]

    async def stat(self, path: str, *, timeout: float) -> FileStat:
        if path in self.dirs:
            return FileStat(path=path, size=4096, mtime=NOW, is_dir=True)
        data, mtime = self._file(path)
        return FileStat(path=path, size=len(data), mtime=mtime, is_dir=False)

    async def listdir(self, path: str, *, timeout: float) -> list[DirEntry]:
        if path not in self.dirs:
            raise RemoteFileError(f"eos: listdir {path}: No such file")
        entries = [
            DirEntry(name=posixpath.basename(p), path=p, is_dir=False, size=len(d), mtime=m)
            for p, (d, m) in self.files.items()
            if posixpath.dirname(p) == path
        ]
        entries += [
            DirEntry(name=posixpath.basename(d), path=d, is_dir=True, size=4096, mtime=NOW)
            for d in self.dirs
            if d != path and posixpath.dirname(d) == path
        ]
        return sorted(entries, key=lambda e: (not e.is_dir, e.name.lower()))

    async def realpath(self, path: str, *, timeout: float) -> str:
        return path

    def stats(self) -> TransportStats:
        return TransportStats()

    async def close(self) -> None:
        return None

    def _file(self, path: str) -> tuple[bytes, float]:
        if path not in self.files:
            raise RemoteFileError(f"eos: open {path}: No such file")
        return self.files[path]


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Services, FakeCluster]]:
    boot = Bootstrap(
        data_dir=tmp_path / "data", port=7272, ssh_user="alice", ssh_key=tmp_path / "key", source_file=None
    )
    svc = Services.open(boot)
    asyncio.run(svc.clusters.add(ClusterSpec(name="eos", host="login.eos.example")))
    fake = FakeCluster()

    async def get(name: str) -> FakeCluster:
        return fake

    monkeypatch.setattr(svc.transports, "get", get)
    yield svc, fake
    svc.close()


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def store(svc: Services, job_id: str, state: str = "FAILED", **fields: Any) -> None:
    values: dict[str, Any] = {"submit_time": NOW - 3600, "first_seen": NOW - 3600, "last_seen": NOW}
    values.update(fields)
    row = JobRow(cluster="eos", job_id=job_id, state=state, **values)
    run(svc.db.write(lambda c: jobs_repo.upsert(c, [row])))


# -- which files are a job's logs -------------------------------------------------------------------------


def test_files_of_a_job_and_siblings_named_after_it(env: tuple[Services, FakeCluster]) -> None:
    svc, fake = env
    store(svc, "42", std_out=f"{RUN}/job-42.out", std_err=f"{RUN}/job-42.err")
    fake.add(f"{RUN}/job-42.out", "hello\n")
    fake.add(f"{RUN}/job-42.err", "")
    fake.add(f"{RUN}/metrics-42.json", "{}")
    fake.add(f"{RUN}/job-420.out", "another job")  # 42 inside a longer number
    fake.add(f"{RUN}/x142_1.out", "another job")
    fake.add(f"{RUN}/old-42.out", "a job of the same id from before", mtime=NOW - 86400)  # ids restart
    fake.dirs.add(f"{RUN}/ckpt-42")  # a directory is not a log
    files = run(svc.logs.list_log_files("eos", "42"))
    assert [(f.path, f.role, f.size, f.exists) for f in files.files] == [
        (f"{RUN}/job-42.out", "stdout", 6, True),
        (f"{RUN}/job-42.err", "stderr", 0, True),
        (f"{RUN}/metrics-42.json", "other", 2, True),
    ]
    assert files.note is None and fake.commands == []  # known paths: no Slurm command


def test_one_file_for_both_streams_and_missing_files(env: tuple[Services, FakeCluster]) -> None:
    svc, _ = env
    store(svc, "7", state="PENDING", std_out=f"{RUN}/slurm-7.out", std_err=f"{RUN}/slurm-7.out")
    files = run(svc.logs.list_log_files("eos", "7"))
    assert [(f.role, f.exists, f.size, f.modified) for f in files.files] == [("stdout+stderr", False, None, None)]
    assert "pending" in (files.note or "")
    with pytest.raises(NotFound, match="does not exist"):
        run(svc.logs.read_log("eos", "7"))


def test_unusable_paths_are_never_touched(env: tuple[Services, FakeCluster]) -> None:
    svc, fake = env
    store(svc, "8", std_out="relative/slurm-8.out", std_err=f"{RUN}/../etc/slurm-8.err")
    files = run(svc.logs.list_log_files("eos", "8"))
    assert files.files == [] and "relative/slurm-8.out" in (files.note or "") and "'..'" in (files.note or "")
    store(svc, "9", std_out="/dev/null", std_err=f"{RUN}/e-9.txt")
    fake.add(f"{RUN}/e-9.txt", "boom\n")
    files = run(svc.logs.list_log_files("eos", "9"))
    assert [f.role for f in files.files] == ["stderr"] and "stdout goes to /dev/null" in (files.note or "")


def test_paths_learned_from_scontrol_for_a_job_clausius_does_not_know(env: tuple[Services, FakeCluster]) -> None:
    svc, fake = env
    fake.answer("scontrol", load("scontrol", "alpha-running").out)
    job_id = load("scontrol", "alpha-running").meta["job_id"]
    std_out = next(w.split("=", 1)[1] for w in load("scontrol", "alpha-running").out.split() if w.startswith("StdOut="))
    fake.dirs.add(posixpath.dirname(std_out))
    fake.add(std_out, "Step 3/10\n")
    tail = run(svc.logs.read_log("eos", job_id))
    assert (tail.path, tail.state, tail.progress, tail.text) == (std_out, "RUNNING", 30.0, "Step 3/10\n")
    fake.answer("scontrol", "", "slurm_load_jobs error: Invalid job id specified", 1)
    with pytest.raises(NotFound, match="job 31337 is not known on eos"):
        run(svc.logs.list_log_files("eos", "31337"))


def test_paths_of_a_known_job_are_looked_up_once_and_remembered(env: tuple[Services, FakeCluster]) -> None:
    svc, fake = env
    rec = load("scontrol", "alpha-running")
    job_id = rec.meta["job_id"]
    store(svc, job_id, state="RUNNING")
    fake.answer("scontrol", rec.out)
    run(svc.logs.list_log_files("eos", job_id))
    run(svc.logs.list_log_files("eos", job_id))
    assert len(fake.commands) == 1
    row = run(svc.db.read(lambda c: jobs_repo.get(c, "eos", job_id)))
    assert row is not None and row.std_out and row.std_out.endswith(".out")


# -- reading --------------------------------------------------------------------------------------------------


def test_default_is_stderr_with_content_else_stdout(env: tuple[Services, FakeCluster]) -> None:
    svc, fake = env
    store(svc, "42", exit_code=1, signal=0, std_out=f"{RUN}/o-42", std_err=f"{RUN}/e-42")
    fake.add(f"{RUN}/o-42", "step 5/10\n")
    fake.add(f"{RUN}/e-42", "Traceback (most recent call last):\n  File 'x'\nKeyError: 'lr'\n")
    tail = run(svc.logs.read_log("eos", "42"))
    assert tail.path == f"{RUN}/e-42" and (tail.crash_kind, tail.crash_line) == ("traceback", "KeyError: 'lr'")
    assert tail.progress is None and tail.lines == 3 and tail.state == "FAILED"
    fake.add(f"{RUN}/e-42", "")
    tail = run(svc.logs.read_log("eos", "42"))
    assert tail.path == f"{RUN}/o-42" and (tail.crash_kind, tail.crash_line) == ("exit_code", "exit code 1")


def test_partial_first_line_is_dropped_but_never_everything(env: tuple[Services, FakeCluster]) -> None:
    svc, fake = env
    store(svc, "5", state="COMPLETED", std_out=f"{RUN}/5.log")
    fake.add(f"{RUN}/5.log", "first line\nsecond line\nthird\n")
    tail = run(svc.logs.read_log("eos", "5", tail_bytes=15))
    assert (tail.text, tail.start_offset, tail.end_offset, tail.more_before) == ("third\n", 23, 29, True)
    tail = run(svc.logs.read_log("eos", "5", tail_bytes=4))  # only the line's end fits: kept as it is
    assert (tail.text, tail.start_offset) == ("ird\n", 25)
    tail = run(svc.logs.read_log("eos", "5", tail_bytes=100, before=11))
    assert (tail.text, tail.start_offset, tail.end_offset, tail.more_before) == ("first line\n", 0, 11, False)
    tail = run(svc.logs.read_log("eos", "5", before=10_000))  # past the end: the end
    assert tail.end_offset == 29 and tail.start_offset == 0


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    lines=st.lists(st.text(st.characters(codec="utf-8", exclude_characters="\n\r"), max_size=60), max_size=40),
    tail_bytes=st.integers(1, 200),
)
def test_paging_backwards_covers_the_file_exactly(
    env: tuple[Services, FakeCluster], lines: list[str], tail_bytes: int
) -> None:
    svc, fake = env
    store(svc, "6", state="COMPLETED", std_out=f"{RUN}/6.log")
    content = "".join(f"{line}\n" for line in lines).encode()
    fake.add(f"{RUN}/6.log", content)
    pages: list[LogTail] = []
    before: int | None = None
    while not pages or pages[-1].more_before:
        pages.append(run(svc.logs.read_log("eos", "6", tail_bytes=tail_bytes, before=before)))
        before = pages[-1].start_offset
        assert len(pages) <= len(content) + 1
    assert pages[0].end_offset == len(content) and pages[-1].start_offset == 0
    for later, earlier in itertools.pairwise(pages):
        assert earlier.end_offset == later.start_offset  # no gap, no overlap
    if all(len(line.encode()) < tail_bytes for line in lines):  # every page starts at a line: whole characters
        assert "".join(p.text for p in reversed(pages)) == content.decode()


def test_only_the_jobs_files_can_be_read(env: tuple[Services, FakeCluster]) -> None:
    svc, fake = env
    store(svc, "42", std_out=f"{RUN}/job-42.out")
    fake.add(f"{RUN}/job-42.out", "ok\n")
    fake.add(f"{RUN}/secret.txt", "no\n")
    for path in (f"{RUN}/secret.txt", "/etc/passwd", f"{RUN}/x/../job-42.out", "job-42.out"):
        with pytest.raises(InvalidInput, match=f"not a log file of job 42; these are: {RUN}/job-42.out"):
            run(svc.logs.read_log("eos", "42", path=path))
    assert all(path != f"{RUN}/secret.txt" for path, _, _ in fake.reads)


def test_bad_arguments(env: tuple[Services, FakeCluster]) -> None:
    svc, fake = env
    for size in (0, -1, 1_048_577):
        with pytest.raises(InvalidInput, match="tail_bytes"):
            run(svc.logs.read_log("eos", "42", tail_bytes=size))
    with pytest.raises(InvalidInput, match="before"):
        run(svc.logs.read_log("eos", "42", before=-3))
    for bad in ("42;ls", "../42", "42.batch", ""):
        with pytest.raises(InvalidInput, match="invalid job id"):
            run(svc.logs.list_log_files("eos", bad))
    with pytest.raises(InvalidInput, match="logs of local processes are not tracked"):
        run(svc.logs.read_log("local", "pid-1234"))
    with pytest.raises(InvalidInput, match="statistics of local processes are not tracked"):
        run(svc.stats.job_stats("local", "pid-1234"))
    with pytest.raises(NotFound, match="unknown cluster") as caught:
        run(svc.logs.list_log_files("nope", "42"))
    assert caught.value.choices == ["eos", "local"]
    assert fake.commands == []


# -- statistics ---------------------------------------------------------------------------------------------


def test_finished_job_from_sacct(env: tuple[Services, FakeCluster]) -> None:
    svc, fake = env
    rec = load("sacct-usage", "alpha-steps")
    job_id = rec.meta["job_id"]
    fake.answer("sacct", rec.out)
    stats = run(svc.stats.job_stats("eos", job_id))
    assert (stats.source, stats.state, stats.cpus, stats.nodes, stats.gpus) == ("sacct", "COMPLETED", 2, 1, 0)
    assert [s.step for s in stats.steps] == ["batch", "0", "1"]
    assert stats.max_rss_bytes == max(s.max_rss_bytes or 0 for s in stats.steps) > 60 << 20
    assert stats.req_mem_bytes == 300 << 20 and stats.time_limit_sec == 300
    assert stats.total_cpu_sec and stats.elapsed_sec
    assert stats.cpu_efficiency == round(stats.total_cpu_sec / (stats.elapsed_sec * 2), 4)
    assert stats.note is None
    assert [a for a in fake.commands[0] if a.startswith("--jobs")] == [f"--jobs={job_id}"]


def test_clausius_verdict_wins_and_a_stale_running_row_uses_sacct(env: tuple[Services, FakeCluster]) -> None:
    svc, fake = env
    rec = load("sacct-usage", "alpha-steps")
    job_id = rec.meta["job_id"]
    fake.answer("sacct", rec.out)
    fake.answer("sstat", "", f"sstat: error: couldn't get steps for job {job_id}")
    store(svc, job_id, state="RUNNING", start_time=NOW - 20)  # the board has not seen it end yet
    stats = run(svc.stats.job_stats("eos", job_id))
    assert (stats.source, stats.state) == ("sacct", "COMPLETED") and stats.note is None
    store(svc, job_id, state="FAILED")  # e.g. a crash found in the log of a "COMPLETED" job
    assert run(svc.stats.job_stats("eos", job_id)).state == "FAILED"


def test_running_job_from_sstat(env: tuple[Services, FakeCluster]) -> None:
    svc, fake = env
    running = load("sacct-usage", "alpha-running")
    job_id = running.meta["job_id"]
    fake.answer("sacct", running.out)
    fake.answer("sstat", f"{job_id}.batch|1|00:00:07|91588K|91588K|98468K|cpu=00:00:07,mem=91588K\n")
    store(svc, job_id, state="RUNNING", start_time=NOW - 14)
    stats = run(svc.stats.job_stats("eos", job_id))
    assert (stats.source, stats.state, stats.max_rss_bytes, stats.total_cpu_sec) == (
        "sstat",
        "RUNNING",
        91588 << 10,
        7.0,
    )
    # sacct's elapsed of the recording; 7 CPU-seconds over 2 CPUs for that long
    assert stats.elapsed_sec is not None and stats.elapsed_sec > 0
    assert stats.cpu_efficiency == round(7.0 / (2 * stats.elapsed_sec), 4)
    store(svc, job_id, state="PENDING")  # the board saw it pending; it has started since
    assert run(svc.stats.job_stats("eos", job_id)).source == "sstat"
    fake.answer("sstat", "", f"sstat: error: No steps running for job {job_id}")
    svc.stats.forget()  # answers are shared for cache_fresh_sec; this test changes the cluster's in between
    stats = run(svc.stats.job_stats("eos", job_id))
    assert stats.source == "none" and stats.steps == [] and stats.cpu_efficiency is None
    assert stats.note == f"sstat has no samples yet (No steps running for job {job_id})"


def test_pending_gpu_job_and_failing_commands(env: tuple[Services, FakeCluster]) -> None:
    svc, fake = env
    held = load("sacct-usage", "alpha-held-gpu")
    fake.answer("sacct", held.out)
    stats = run(svc.stats.job_stats("eos", held.meta["job_id"]))
    assert (stats.source, stats.state, stats.gpus, stats.gpu_type) == ("none", "PENDING", 2, "h100")
    assert stats.note == f"the job has not started: no usage yet; {GPU_NOTE}"
    # a known job whose sacct fails: what clausius knows, and why the rest is missing
    store(svc, "77", state="COMPLETED", cpus=4, elapsed_sec=60)
    fake.answer("sacct", "", "sacct: error: Problem talking to the database: Connection refused", 1)
    stats = run(svc.stats.job_stats("eos", "77"))
    assert (stats.source, stats.cpus, stats.elapsed_sec) == ("none", 4, 60)
    assert "Problem talking to the database" in (stats.note or "")
    fake.outputs["sacct"] = Unreachable("eos: connection refused")
    svc.stats.forget()
    assert "connection refused" in (run(svc.stats.job_stats("eos", "77")).note or "")
    # an unknown job on an unreachable cluster: the transport error, not a guess that the job does not exist
    with pytest.raises(Unreachable):
        run(svc.stats.job_stats("eos", "78"))
    fake.answer("sacct", "")
    with pytest.raises(NotFound, match="job 78 is not known on eos"):
        run(svc.stats.job_stats("eos", "78"))


def test_agents_polling_one_job_share_one_sacct(env: tuple[Services, FakeCluster]) -> None:
    svc, fake = env
    finished = load("sacct-usage", "alpha-running")
    job_id = finished.meta["job_id"]
    fake.answer("sacct", finished.out)
    fake.answer("sstat", f"{job_id}.batch|1|00:00:07|91588K|91588K|98468K|cpu=00:00:07,mem=91588K\n")
    store(svc, job_id, state="RUNNING", start_time=NOW - 14)

    async def twenty_agents() -> set[str]:
        answers = await asyncio.gather(*(svc.stats.job_stats("eos", job_id) for _ in range(20)))
        return {a.model_dump_json() for a in answers}

    assert len(run(twenty_agents())) == 1
    assert len([c for c in fake.commands if "sacct" in c]) == 1
    assert len([c for c in fake.commands if "sstat" in c]) == 1
    store(svc, job_id, state="COMPLETED")  # a change of state is a new question
    run(svc.stats.job_stats("eos", job_id))
    assert len([c for c in fake.commands if "sacct" in c]) == 2

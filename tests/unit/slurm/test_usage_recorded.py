"""`sacct --jobs ID` usage records (job + steps): the parser on lab output, edge cases, hypothesis."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clausius.slurm.errors import InvalidSlurmArgument, SlurmParseError
from clausius.slurm.usage import (
    USAGE_FIELDS,
    USAGE_FORMAT,
    UsageRow,
    build_sacct_usage,
    parse_req_mem,
    parse_usage,
    rows_of_job,
)

from .recorded import load, names

COMMAND = "sacct-usage"


def recorded(scenario: str) -> tuple[str, list[UsageRow]]:
    rec = load(COMMAND, f"alpha-{scenario}")
    assert rec.meta["exit_code"] == 0, rec.err
    return str(rec.meta["job_id"]), parse_usage(rec.out)


def test_every_fixture_was_recorded_with_todays_builder() -> None:
    assert len(names(COMMAND)) >= 8
    for name in names(COMMAND):
        meta = load(COMMAND, name).meta
        assert meta["argv"] == build_sacct_usage(meta["job_id"]), name


def test_completed_job_with_two_srun_steps() -> None:
    job_id, rows = recorded("steps")
    record, *steps = rows_of_job(rows, job_id)
    assert record.step is None and record.state == "COMPLETED" and (record.exit_code, record.signal) == (0, 0)
    assert record.cpus == 2 and record.nodes == 1 and record.time_limit_sec == 300
    assert record.elapsed_sec is not None and record.elapsed_sec >= 12  # two steps of 6 s each
    # --mem-per-cpu=150M with 2 tasks: the request is 300M in total
    assert record.req_mem_bytes == 300 << 20
    assert record.max_rss_bytes is None and record.ave_cpu_sec is None  # usage lives on the steps
    assert record.total_cpu_sec is not None and record.total_cpu_sec > 2
    assert [s.step for s in steps] == ["batch", "0", "1"]
    assert [s.ntasks for s in steps] == [1, 1, 2]
    # the 60 MB step is the largest resident set; sacct prints KiB
    by_step = {s.step: s for s in steps}
    assert by_step["0"].max_rss_bytes is not None and by_step["0"].max_rss_bytes > 60 << 20
    assert all(s.max_rss_bytes and s.max_rss_bytes < (by_step["0"].max_rss_bytes or 0) for s in steps if s.step != "0")
    # the job's TotalCPU is the sum of its steps'
    step_total = sum(s.total_cpu_sec or 0 for s in steps)
    assert record.total_cpu_sec == pytest.approx(step_total, abs=0.01)
    assert all(s.time_limit_sec is None and s.req_mem_bytes is None for s in steps)


def test_failed_job_exit_code_and_step_usage() -> None:
    job_id, rows = recorded("failed")
    record, batch = rows_of_job(rows, job_id)
    assert (record.state, record.exit_code, record.signal) == ("FAILED", 1, 0)
    assert batch.step == "batch" and batch.max_rss_bytes is not None and batch.max_rss_bytes > 30 << 20
    assert record.req_mem_bytes == 200 << 20


def test_memory_kill_is_a_signal_and_the_rss_it_reached() -> None:
    """No cgroups in the lab: OverMemoryKill SIGKILLs the job (FAILED 0:9; the batch step `CANCELLED by 0`)."""
    job_id, rows = recorded("oom")
    record, batch = rows_of_job(rows, job_id)
    assert (record.state, record.exit_code, record.signal) == ("FAILED", 0, 9)
    assert batch.state == "CANCELLED" and batch.state_detail == "CANCELLED by 0"
    assert record.req_mem_bytes == 100 << 20
    assert batch.max_rss_bytes is not None and batch.max_rss_bytes > record.req_mem_bytes


def test_running_job_has_no_totals_yet() -> None:
    """sacct totals CPU time and MaxRSS only when a step ends: a running job's usage must come from sstat."""
    job_id, rows = recorded("running")
    record, batch = rows_of_job(rows, job_id)
    assert record.state == "RUNNING" and batch.state == "RUNNING"
    assert record.total_cpu_sec == 0.0 and batch.max_rss_bytes is None
    assert record.elapsed_sec is not None and record.elapsed_sec > 0
    assert record.cpus == 2 and record.req_mem_bytes == 500 << 20


def test_cancelled_running_job_gets_its_usage() -> None:
    job_id, rows = recorded("cancelled")
    record, batch = rows_of_job(rows, job_id)
    assert record.state == "CANCELLED" and record.state_detail.startswith("CANCELLED by ")
    assert (batch.exit_code, batch.signal) == (0, 15)
    assert record.total_cpu_sec is not None and record.total_cpu_sec > 1
    assert batch.max_rss_bytes is not None and batch.max_rss_bytes > 40 << 20


def test_held_gpu_job_has_requested_gpus_only() -> None:
    job_id, rows = recorded("held-gpu")
    (record,) = rows_of_job(rows, job_id)
    assert record.state == "PENDING" and record.alloc_tres == ""
    assert (record.gpus, record.gpu_type) == (2, "h100")
    assert record.elapsed_sec == 0 and record.total_cpu_sec == 0.0


def test_array_parent_lists_every_task_and_a_task_is_found_by_its_id() -> None:
    array_id, rows = recorded("array")
    tasks = sorted({r.job_id for r in rows})
    assert tasks == [f"{array_id}_1", f"{array_id}_2"]
    # the parent id itself is the raw id of one task: asking for it finds that task
    assert {r.job_id for r in rows_of_job(rows, array_id)} <= set(tasks)
    task_id, task_rows = recorded("array-task")
    assert task_id == f"{array_id}_1"
    assert [r.step for r in rows_of_job(task_rows, task_id)] == [None, "batch"]
    own = rows_of_job(task_rows, task_id)[0].raw_id
    assert rows_of_job(task_rows, own) == rows_of_job(task_rows, task_id)  # the task's own numeric id works too


def test_unknown_job_prints_nothing() -> None:
    rec = load(COMMAND, "alpha-unknown")
    assert rec.meta["exit_code"] == 0 and rec.out == ""
    assert parse_usage(rec.out) == []


# -- builder and edge cases -------------------------------------------------------------------------------


def test_builder_validates_the_id() -> None:
    assert build_sacct_usage("12_3")[-2:] == ["--jobs=12_3", f"--format={USAGE_FORMAT}"]
    assert build_sacct_usage(7) == ["sacct", "-P", "--noheader", "--jobs=7", f"--format={USAGE_FORMAT}"]
    for bad in ("12;rm -rf /", "-1", "12.batch", "", "12,13", "abc"):
        with pytest.raises(InvalidSlurmArgument):
            build_sacct_usage(bad)


def _line(**cells: str) -> str:
    fields = {name: "" for _, name in USAGE_FIELDS}
    fields.update(job_id="5", raw_id="5", state="COMPLETED", exit_code="0:0")
    fields.update(cells)
    return "|".join(fields.values())


@pytest.mark.parametrize(
    ("max_rss", "expected"),
    [("", None), ("0", 0), ("512", 512), ("4984K", 4984 << 10), ("1.50M", int(1.5 * (1 << 20))), ("2G", 2 << 30)],
)
def test_memory_units(max_rss: str, expected: int | None) -> None:
    (row,) = parse_usage(_line(job_id="5.batch", raw_id="5.batch", max_rss=max_rss))
    assert row.step == "batch" and row.max_rss_bytes == expected


@pytest.mark.parametrize(
    ("total", "expected"),
    [("", None), ("00:00:00", 0.0), ("00:12.067", 12.067), ("01:02:03", 3723.0), ("2-01:00:00", 176400.0)],
)
def test_cpu_durations(total: str, expected: float | None) -> None:
    (row,) = parse_usage(_line(total_cpu=total, ave_cpu=total))
    assert row.total_cpu_sec == expected and row.ave_cpu_sec == expected


def test_empty_fields_are_none() -> None:
    (row,) = parse_usage(_line())
    assert (row.elapsed_sec, row.time_limit_sec, row.nodes, row.cpus, row.ntasks) == (None,) * 5
    assert (row.req_mem_bytes, row.gpus, row.gpu_type, row.step) == (None, None, None, None)  # unknown, not 0


def test_limits_and_requested_memory() -> None:
    (row,) = parse_usage(_line(time_limit="UNLIMITED", req_mem="0", req_tres="cpu=1,node=1"))
    assert row.time_limit_sec is None and row.req_mem_bytes is None
    (row,) = parse_usage(_line(time_limit="Partition_Limit", req_mem="4G", nodes="2", cpus="8"))
    assert row.time_limit_sec is None and row.req_mem_bytes == 4 << 30
    # ReqTRES carries the whole job's memory and wins over ReqMem
    (row,) = parse_usage(_line(req_mem="2G", nodes="2", req_tres="cpu=8,mem=4G,node=2,gres/gpu=8"))
    assert row.req_mem_bytes == 4 << 30 and row.gpus == 8


@pytest.mark.parametrize(
    ("text", "nodes", "cpus", "expected"),
    [
        ("300M", 1, 2, 300 << 20),
        ("4000Mn", 2, 8, 8000 << 20),  # before 21.08: per node
        ("2000Mc", 2, 8, 16000 << 20),  # before 21.08: per CPU
        ("2000Mc", None, None, 2000 << 20),
        ("0", 1, 1, None),
        ("0n", 1, 1, None),
        ("", 1, 1, None),
    ],
)
def test_req_mem(text: str, nodes: int | None, cpus: int | None, expected: int | None) -> None:
    assert parse_req_mem(text, nodes, cpus) == expected


@pytest.mark.parametrize("line", ["5|5|COMPLETED", _line(state=""), _line(max_rss="12Q"), _line(exit_code="x")])
def test_bad_lines_raise_parse_errors(line: str) -> None:
    with pytest.raises(SlurmParseError):
        parse_usage(line)


SAMPLES = [load(COMMAND, n).out for n in names(COMMAND) if load(COMMAND, n).out]
PIECES = st.sampled_from([*"|=:,._-+KMG 0123456789\n", "batch", "COMPLETED", "gres/gpu=", "mem="])


def pieces(max_size: int) -> st.SearchStrategy[str]:
    return st.lists(PIECES, max_size=max_size).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(SAMPLES), st.data())
def test_mangled_real_output_parses_or_raises_parse_error(sample: str, data: st.DataObject) -> None:
    lines = sample.splitlines()
    index = data.draw(st.integers(0, len(lines) - 1))
    cells = lines[index].split("|")
    column = data.draw(st.integers(0, len(cells) - 1))
    cells[column] = data.draw(pieces(8))
    lines[index] = "|".join(cells)
    with contextlib.suppress(SlurmParseError):
        for row in parse_usage("\n".join(lines)):
            assert row.max_rss_bytes is None or row.max_rss_bytes >= 0
            assert row.total_cpu_sec is None or row.total_cpu_sec >= 0


@settings(max_examples=200, deadline=None)
@given(pieces(80))
def test_arbitrary_text_parses_or_raises_parse_error(text: str) -> None:
    with contextlib.suppress(SlurmParseError):
        parse_usage(text)

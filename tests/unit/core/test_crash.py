"""Crash classification and soft failures (reference §8.4), on lines seen in the lab and in
PyTorch/NCCL output."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clausius.core.crash import (
    LOG_WINDOW,
    Crash,
    assess,
    classify,
    reclassify,
    soft_fail_indicator,
    split_tool_calls,
)

LAB_OOM = "slurmstepd-alpha-cpu1: error: Job 14 exceeded memory limit (1622110208 > 209715200), being killed"
LAB_OOM_2 = "slurmstepd-alpha-cpu1: error: Exceeded job memory limit"
LAB_SEGV = "Fatal Python error: Segmentation fault"
LAB_TIMEOUT = (
    "slurmstepd-alpha-cpu1: error: *** JOB 16 ON alpha-cpu1 CANCELLED AT 2026-11-25T03:14:22 DUE TO TIME LIMIT ***"
)
LAB_FNF = "FileNotFoundError: [Errno 2] No such file or directory: '/nonexistent/config.json'"
LAB_TRACEBACK = f"""loading config
Traceback (most recent call last):
  File "/home/alice/jobs/py_traceback.py", line 4, in <module>
    with open("/nonexistent/config.json") as fh:
         ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
{LAB_FNF}
"""
CUDA_OOM = (
    "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB. GPU 0 has a total capacity of "
    "79.10 GiB of which 1.19 GiB is free."
)
NCCL_TIMEOUT = (
    "[rank3]:[E1125 03:14:22.123456 ProcessGroupNCCL.cpp:616] [Rank 3] Watchdog caught collective operation "
    "timeout: WorkNCCL(SeqNum=4821, OpType=ALLREDUCE, NumelIn=1, NumelOut=1, Timeout(ms)=600000) ran for "
    "600043 milliseconds before timing out."
)
NCCL_ERROR = (
    "torch.distributed.DistBackendError: NCCL error in: ../torch/csrc/distributed/c10d/NCCLUtils.hpp:275, "
    "unhandled system error (run with NCCL_DEBUG=INFO for details), NCCL version 2.20.5"
)
NCCL_WARN = "node7:1234:5678 [0] NCCL WARN NET/IB : Got completion from peer 10.0.0.8<45678> with error 12"
NCCL_BENIGN = (
    "[rank0]:[W1125 03:14:22.000 ProcessGroupNCCL.cpp:1168] Warning: WARNING: process group has NOT been "
    "destroyed before we destruct ProcessGroupNCCL. On normal program exit, the application should call "
    "destroy_process_group to ensure that any pending NCCL operations have finished in this process."
)
NCCL_BENIGN_2 = (
    "[W ProcessGroupNCCL.cpp:1038] Warning: TORCH_NCCL_ASYNC_ERROR_HANDLING is set; the timeout error "
    "handler is enabled (function operator())"
)
NCCL_ABORT = "[rank1]: ProcessGroupNCCL's watchdog got stuck for 480 seconds; aborting the process"
CUDA_ASSERT = (
    "RuntimeError: CUDA error: device-side assert triggered\n"
    "CUDA kernel errors might be asynchronously reported at some other API call"
)
CUBLAS = "RuntimeError: CUDA error: CUBLAS_STATUS_EXECUTION_FAILED when calling `cublasGemmEx( handle, opa, opb)`"
SRUN = "srun: error: alpha-gpu1: task 0: Exited with exit code 1"
KILLED = "/var/spool/slurmd/job00162/slurm_script: line 3:  4242 Killed                  python eat_memory.py"
KILLED_BARE = "Killed"


def tb(final: str, prefix: str = "") -> str:
    return (
        f"{prefix}Traceback (most recent call last):\n"
        f'{prefix}  File "train.py", line 10, in <module>\n'
        f"{prefix}    main()\n"
        f"{prefix}{final}\n"
    )


@pytest.mark.parametrize(
    ("state", "exit_code", "signal", "reason", "log", "expected"),
    [
        # Slurm's final state explains it: no log needed.
        ("TIMEOUT", 0, 0, "", LAB_TIMEOUT, Crash("timeout", "", "time limit reached")),
        ("OUT_OF_MEMORY", 0, 125, "", None, Crash("oom", "", "out of memory")),
        ("NODE_FAIL", 1, 0, "", None, Crash("node_fail", "", "node failure")),
        ("BOOT_FAIL", 1, 0, "", None, Crash("node_fail", "", "node failed to boot")),
        ("PREEMPTED", 0, 0, "", None, Crash("preempted", "", "preempted")),
        ("DEADLINE", 0, 0, "", None, Crash("timeout", "", "deadline reached")),
        ("CANCELLED by 1001", 0, 0, "", None, Crash("cancelled", "", "cancelled by 1001")),
        ("CANCELLED", 0, 0, "CANCELLED by 0", None, Crash("cancelled", "", "cancelled by 0")),
        ("CANCELLED", 0, 15, "", LAB_TIMEOUT, Crash("timeout", "", "time limit reached")),
        (
            "CANCELLED",
            0,
            15,
            "",
            "*** JOB 9 CANCELLED AT 2026-11-25 DUE TO PREEMPTION ***",
            Crash("preempted", "", "preempted"),
        ),
        ("CANCELLED", 0, 0, "", None, Crash("cancelled", "", "cancelled")),
        ("CANCELLED", 0, 0, "", LAB_OOM, Crash("oom", LAB_OOM, "out of memory")),
        # The lab's jobs, by their logs.
        ("FAILED", 0, 9, "", f"{LAB_OOM}\n{LAB_OOM_2}\n", Crash("oom", LAB_OOM, "out of memory")),
        ("FAILED", 0, 9, "", LAB_OOM_2, Crash("oom", LAB_OOM_2, "out of memory")),
        (
            "FAILED",
            0,
            11,
            "",
            f"{LAB_SEGV}\n\nCurrent thread 0x0001 (most recent call first):\n",
            Crash("segfault", LAB_SEGV, "segmentation fault"),
        ),
        ("FAILED", 1, 0, "", LAB_TRACEBACK, Crash("traceback", LAB_FNF, "Python exception")),
        ("FAILED", 0, 0, "", LAB_TIMEOUT, Crash("timeout", LAB_TIMEOUT, "time limit reached")),
        # PyTorch / NCCL / CUDA.
        ("FAILED", 1, 0, "", tb(CUDA_OOM), Crash("oom", CUDA_OOM, "out of memory")),
        (
            "FAILED",
            1,
            0,
            "",
            tb("torch.cuda.OutOfMemoryError: CUDA out of memory."),
            Crash("oom", "torch.cuda.OutOfMemoryError: CUDA out of memory.", "out of memory"),
        ),
        ("FAILED", 1, 0, "", tb("MemoryError"), Crash("oom", "MemoryError", "out of memory")),
        (
            "FAILED",
            1,
            0,
            "",
            f"{NCCL_TIMEOUT}\n{tb('RuntimeError: boom')}",
            Crash("nccl", NCCL_TIMEOUT[:199] + "…", "NCCL error"),
        ),
        ("FAILED", 1, 0, "", tb(NCCL_ERROR), Crash("nccl", NCCL_ERROR, "NCCL error")),
        ("FAILED", 1, 0, "", NCCL_WARN, Crash("nccl", NCCL_WARN, "NCCL error")),
        (
            "FAILED",
            1,
            0,
            "",
            tb(CUDA_ASSERT.splitlines()[0]) + CUDA_ASSERT.splitlines()[1],
            Crash("cuda", "RuntimeError: CUDA error: device-side assert triggered", "CUDA error"),
        ),
        ("FAILED", 1, 0, "", CUBLAS, Crash("cuda", CUBLAS, "CUDA error")),
        (
            "FAILED",
            1,
            0,
            "",
            f"{tb('ValueError: bad shape')}{SRUN}\n",
            Crash("traceback", "ValueError: bad shape", "Python exception"),
        ),
        ("FAILED", 1, 0, "", f"{SRUN}\n", Crash("srun", SRUN, "Slurm step error")),
        ("FAILED", 0, 9, "", f"{KILLED}\n", Crash("exit_code", KILLED, "process killed")),
        ("FAILED", 137, 0, "", f"step 3\n{KILLED_BARE}\n", Crash("exit_code", KILLED_BARE, "process killed")),
        ("COMPLETED", 0, 0, "", "Killed processes: 0 of 3 remaining\n", None),
        # torchrun prefixes every line with the rank.
        (
            "FAILED",
            1,
            0,
            "",
            tb("KeyError: 'labels'", "[rank0]: "),
            Crash("traceback", "[rank0]: KeyError: 'labels'", "Python exception"),
        ),
        # A traceback whose header fell outside the window still counts by its exception line.
        (
            "FAILED",
            1,
            0,
            "",
            "    x = y[3]\nIndexError: list index out of range\n",
            Crash("traceback", "IndexError: list index out of range", "Python exception"),
        ),
        # Chained exceptions: the last one is the one that ended the program.
        (
            "FAILED",
            1,
            0,
            "",
            tb("KeyError: 'a'")
            + "\nDuring handling of the above exception, another exception occurred:\n\n"
            + tb("RuntimeError: config broken"),
            Crash("traceback", "RuntimeError: config broken", "Python exception"),
        ),
        # Precedence: oom > segfault > nccl > cuda > traceback > srun.
        ("FAILED", 1, 0, "", f"{SRUN}\n{CUBLAS}\n{LAB_SEGV}\n{LAB_OOM}\n", Crash("oom", LAB_OOM, "out of memory")),
        ("FAILED", 1, 0, "", f"{SRUN}\n{CUBLAS}\n{LAB_SEGV}\n", Crash("segfault", LAB_SEGV, "segmentation fault")),
        ("FAILED", 1, 0, "", f"{CUBLAS}\n{NCCL_ERROR}\n", Crash("nccl", NCCL_ERROR, "NCCL error")),
        # Signals and exit codes when the log says nothing.
        ("FAILED", 0, 11, "", None, Crash("segfault", "", "killed by signal 11 (SIGSEGV)")),
        ("FAILED", 0, 11, "", tb("RuntimeError: x"), Crash("segfault", "", "killed by signal 11 (SIGSEGV)")),
        ("FAILED", 0, 11, "", LAB_OOM, Crash("oom", LAB_OOM, "out of memory")),
        ("FAILED", 0, 9, "", None, Crash("exit_code", "", "killed by signal 9")),
        ("FAILED", 3, 0, "", "all good here\n", Crash("exit_code", "", "exit code 3")),
        ("FAILED", 0, 0, "JobLaunchFailure", None, Crash("exit_code", "", "failed (JobLaunchFailure)")),
        (
            "FAILED",
            None,
            None,
            "killed externally (no accounting record)",
            None,
            Crash("killed_externally", "", "killed externally (no accounting record)"),
        ),
        # Nothing wrong.
        ("COMPLETED", 0, 0, "", "done\n", None),
        ("COMPLETED", 0, 0, "", None, None),
        ("RUNNING", None, None, "None", " 45%|####5     | 45/100 [00:04<00:05]\n", None),
        ("RUNNING", None, None, "None", NCCL_BENIGN, None),  # PyTorch ≥ 2.4 prints this on normal exit
        ("COMPLETED", 0, 0, "", NCCL_BENIGN_2, None),
        ("FAILED", 1, 0, "", NCCL_ABORT, Crash("nccl", NCCL_ABORT, "NCCL error")),
        ("COMPLETED", 0, 0, "", "Sandbox state restoration failed: RuntimeError: CUDA error\n", None),
        ("COMPLETED", 0, 0, "", "Sandbox communication error\n", None),
    ],
)
def test_classify(
    state: str, exit_code: int | None, signal: int | None, reason: str, log: str | None, expected: Crash | None
) -> None:
    assert classify(state, exit_code, signal, reason, log) == expected


def test_only_the_last_8_kib_is_read() -> None:
    old = tb("RuntimeError: long ago") + "x" * LOG_WINDOW
    assert classify("COMPLETED", 0, 0, "", old) is None
    assert classify("COMPLETED", 0, 0, "", "x" * LOG_WINDOW + "\n" + LAB_OOM) == Crash("oom", LAB_OOM, "out of memory")


def test_matched_line_is_clipped_to_200_chars() -> None:
    crash = classify("FAILED", 1, 0, "", "   srun: error: " + "z" * 500 + "   ")
    assert crash is not None and len(crash.line) == 200 and crash.line.startswith("srun: error:")


TOOL_BLOCK = """2026-11-25 10:00:00 INFO generating
Sending tool calls: [{"name": "python", "code": "1/0"}]
Traceback (most recent call last):
  File "<sandbox>", line 1, in <module>
ZeroDivisionError: division by zero
[11/25/26 10:00:01] tool result returned to the model
2026-11-25 10:00:02 INFO next batch
"""
TOOL_BLOCK_2 = """INFO tool_call.py:88 calling tool
RuntimeError: CUDA error: illegal memory access was encountered

Remaining generations: 12
all fine
"""


def test_split_tool_calls() -> None:
    kept, tool = split_tool_calls(TOOL_BLOCK + TOOL_BLOCK_2)
    assert kept == [
        "2026-11-25 10:00:00 INFO generating",
        "[11/25/26 10:00:01] tool result returned to the model",  # a timestamped line ends the block
        "2026-11-25 10:00:02 INFO next batch",
        "Remaining generations: 12",
        "all fine",
    ]
    assert tool[0].startswith("Sending tool calls:") and tool[-1] == ""  # blank lines do not end a block
    assert "ZeroDivisionError: division by zero" in tool


def test_tracebacks_inside_tool_calls_are_not_crashes() -> None:
    # Regression #25: agent jobs quoting tool output were flagged crashed / FAILED.
    assert classify("RUNNING", None, None, "None", TOOL_BLOCK + TOOL_BLOCK_2) is None
    assert classify("COMPLETED", 0, 0, "", TOOL_BLOCK) is None
    assert reclassify("COMPLETED", None, TOOL_BLOCK) == ("COMPLETED", None)
    assert soft_fail_indicator(TOOL_BLOCK) == "tool call errors (ZeroDivisionError: division by zero)"
    verdict = assess("FAILED", 1, 0, "", TOOL_BLOCK)
    assert (verdict.state, verdict.reason) == (
        "COMPLETED",
        "soft-fail: tool call errors (ZeroDivisionError: division by zero)",
    )
    assert verdict.crash == Crash("soft_fail", "", "tool call errors (ZeroDivisionError: division by zero)")


def test_a_real_crash_next_to_tool_call_errors_is_still_a_crash() -> None:
    log = TOOL_BLOCK + tb("ValueError: real one")
    assert soft_fail_indicator(log) is None
    assert assess("FAILED", 1, 0, "", log).state == "FAILED"


@pytest.mark.parametrize(
    ("log", "indicator"),
    [
        ("No data to process, exiting\n", "No data to process"),
        ("/out/output-rs0.jsonl exists, skipping\n", "exists, skipping"),
        ("output exists skipping generation\n", "exists skipping"),
        ("Nothing to evaluate.\n", "Nothing to evaluate"),
        ("nothing to generate\n", "nothing to generate"),
        ("All 512 samples already completed\n", "All 512 samples already completed"),
        ("all chunks were already processed\n", "all chunks were already processed"),
        ("Found 0 samples to process\n", "0 samples to process"),
        ("Found 10 samples to process\n", None),
        ("Found 1.0 samples to process\n", None),
        ("everything nominal\n", None),
        ("", None),
    ],
)
def test_soft_fail_indicator(log: str, indicator: str | None) -> None:
    assert soft_fail_indicator(log) == indicator


def test_soft_fail_indicator_inside_a_tool_call_does_not_count() -> None:
    assert soft_fail_indicator("Sending tool calls: x\nNo data to process\n") is None
    assert soft_fail_indicator(None) is None


SKIP = "output.jsonl exists, skipping\n"


@pytest.mark.parametrize(
    ("state", "crash", "log", "expected"),
    [
        ("COMPLETED", None, SKIP, ("COMPLETED", None)),
        (
            "COMPLETED",
            Crash("traceback", LAB_FNF, "Python exception"),
            SKIP + LAB_TRACEBACK,
            ("COMPLETED", "soft-fail: exists, skipping"),
        ),
        (
            "COMPLETED",
            Crash("traceback", LAB_FNF, "Python exception"),
            LAB_TRACEBACK,
            ("FAILED", f"log crash: {LAB_FNF}"),
        ),
        ("COMPLETED", Crash("exit_code", "", "exit code 2"), None, ("FAILED", "log crash: exit code 2")),
        ("FAILED", Crash("exit_code", "", "exit code 1"), SKIP, ("COMPLETED", "soft-fail: exists, skipping")),
        (
            "FAILED",
            Crash("traceback", LAB_FNF, "Python exception"),
            SKIP + LAB_TRACEBACK,
            ("COMPLETED", "soft-fail: exists, skipping"),
        ),
        ("FAILED", Crash("exit_code", "", "exit code 1"), "boom\n", ("FAILED", None)),
        # An "already done" message never excuses a hard crash.
        ("FAILED", Crash("oom", LAB_OOM, "out of memory"), SKIP + LAB_OOM, ("FAILED", None)),
        (
            "COMPLETED",
            Crash("segfault", LAB_SEGV, "segmentation fault"),
            SKIP + LAB_SEGV,
            ("FAILED", f"log crash: {LAB_SEGV}"),
        ),
        # Other states are left alone.
        ("TIMEOUT", Crash("timeout", "", "time limit reached"), SKIP, ("TIMEOUT", None)),
        ("CANCELLED by 1001", Crash("cancelled", "", "cancelled by 1001"), SKIP, ("CANCELLED by 1001", None)),
        ("RUNNING", Crash("traceback", LAB_FNF, "Python exception"), LAB_TRACEBACK, ("RUNNING", None)),
    ],
)
def test_reclassify(state: str, crash: Crash | None, log: str | None, expected: tuple[str, str | None]) -> None:
    assert reclassify(state, crash, log) == expected


def test_assess_combines_both_steps() -> None:
    verdict = assess("COMPLETED", 0, 0, "", LAB_TRACEBACK)
    assert (verdict.state, verdict.reason) == ("FAILED", f"log crash: {LAB_FNF}")
    assert verdict.crash == Crash("traceback", LAB_FNF, "Python exception")
    soft = assess("FAILED", 1, 0, "", SKIP + LAB_TRACEBACK)
    assert (soft.state, soft.reason) == ("COMPLETED", "soft-fail: exists, skipping")
    assert soft.crash == Crash("soft_fail", LAB_FNF, "exists, skipping")
    fine = assess("COMPLETED", 0, 0, "", "done\n")
    assert (fine.state, fine.reason, fine.crash) == ("COMPLETED", None, None)


LOG_TEXT = st.lists(
    st.one_of(
        st.text(max_size=80),
        st.sampled_from(
            [
                LAB_OOM,
                LAB_SEGV,
                LAB_TIMEOUT,
                LAB_FNF,
                NCCL_ERROR,
                CUBLAS,
                SRUN,
                KILLED,
                "Traceback (most recent call last):",
                "Sending tool calls:",
                "Remaining generations: 1",
                "[rank0]: ",
                "tool_call.py:12",
                "No data to process",
            ]
        ),
    ),
    max_size=40,
).map("\n".join)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["COMPLETED", "FAILED", "CANCELLED", "CANCELLED by 7", "RUNNING", "TIMEOUT", "", "weird"]),
    st.one_of(st.none(), st.integers(-1, 300)),
    st.one_of(st.none(), st.integers(-1, 64)),
    st.text(max_size=40),
    st.one_of(st.none(), LOG_TEXT, st.text()),
)
def test_classify_never_raises(
    state: str, exit_code: int | None, signal: int | None, reason: str, log: str | None
) -> None:
    crash = classify(state, exit_code, signal, reason, log)
    assert crash is None or len(crash.line) <= 200
    verdict = assess(state, exit_code, signal, reason, log)
    assert verdict.state in {state, "COMPLETED", "FAILED"}

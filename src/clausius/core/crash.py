"""Why a job failed: Slurm's final state first, then the tail of its log; and soft failures.

Only the last 8 KiB of a log is read. Lines known to be harmless and the output of agent
tool calls (which quote other programs' tracebacks) are set aside before matching, so a
job is never called crashed for an error it merely printed on someone else's behalf.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from clausius.core.job_states import base_state

CrashClass = Literal[
    "oom",
    "segfault",
    "traceback",
    "cuda",
    "nccl",
    "srun",
    "preempted",
    "timeout",
    "node_fail",
    "cancelled",
    "killed_externally",
    "exit_code",
    "soft_fail",
]
LOG_WINDOW = 8192
_INDICATOR_WINDOW = 65536
_MAX_LINE = 200
_MAX_INDICATOR = 80


@dataclass(frozen=True, slots=True)
class Crash:
    kind: CrashClass
    line: str  # the matched log line, stripped, at most 200 characters; "" when not from the log
    detail: str  # plain-language summary


@dataclass(frozen=True, slots=True)
class Verdict:
    state: str  # the state to display
    reason: str | None  # replacement reason, None = keep the current one
    crash: Crash | None


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


# Log patterns by kind, strongest first. A line counts once, for its strongest kind.
_PATTERNS: tuple[tuple[CrashClass, str, re.Pattern[str]], ...] = (
    ("preempted", "preempted", _rx(r"DUE TO PREEMPTION")),
    ("timeout", "time limit reached", _rx(r"DUE TO TIME LIMIT")),
    (
        "oom",
        "out of memory",
        _rx(
            r"exceeded (?:job )?memory limit|oom[-_ ]?kill|out[- ]of[- ]memory|OutOfMemoryError"
            r"|^\s*MemoryError\b|CUDA error: out of memory"
        ),
    ),
    ("segfault", "segmentation fault", _rx(r"Segmentation fault|SIGSEGV|core dumped")),
    (
        "nccl",
        "NCCL error",
        _rx(
            r"NCCL error|NCCL WARN|Watchdog caught collective operation timeout"
            r"|nccl(?:Internal|System|Unhandled\w*)Error"
            # error-level lines, or others naming a failure (PyTorch's "[W …" shutdown warnings are benign)
            r"|\[E[^\]]*ProcessGroupNCCL"
            r"|^(?!.*\[W[^\]]*ProcessGroupNCCL).*ProcessGroupNCCL.*\b(?:error|timeout|exception|abort(?:ed|ing)?)\b"
        ),
    ),
    (
        "cuda",
        "CUDA error",
        _rx(r"CUDA error|cudaError|CUBLAS_STATUS_|CUDNN_STATUS_|device-side assert triggered|illegal memory access"),
    ),
    ("traceback", "Python exception", _rx(r"Traceback \(most recent call last\)|^Error executing job")),
    ("srun", "Slurm step error", _rx(r"\bsrun: error:|\bslurmstepd(?:-[\w.-]+)?: error:")),
    # bash's report of a SIGKILLed child (`slurm_script: line 3:  4242 Killed   python x.py`) or a bare `Killed`
    ("exit_code", "process killed", re.compile(r"\bKilled\s*$|: line \d+:\s+\d+\s+Killed\b")),
)
_RANK: dict[str, int] = {kind: i for i, (kind, _, _) in enumerate(_PATTERNS)}
# A top-level Python exception line (`FileNotFoundError: [Errno 2] ...`, `torch.cuda.OutOfMemoryError: ...`).
_EXCEPTION_LINE = re.compile(
    r"^(?:[A-Za-z_]\w*\.)*[A-Z]\w*(?:Error|Exception|Exit|Interrupt|Failure|Fault|Timeout)\b(?::.*)?$"
)
# Exception lines that mean a crash even when the traceback header fell outside the window.
_BARE_EXCEPTION = re.compile(
    r"^(?:Type|Value|Runtime|Key|Attribute|Import|ModuleNotFound|Index|FileNotFound|OS|Permission|IO|Lookup"
    r"|Assertion|ZeroDivision|Overflow|NotImplemented|Recursion|Name|Connection|Timeout)Error(?::|$)"
)
# Per-line prefixes added by launchers: `[rank0]: `, `[default3]:`, srun --label's `12: `.
_LAUNCHER_PREFIX = re.compile(r"^\s*(?:\[[^\]]{1,40}\]:?\s*|\d{1,5}:\s+)*")
_TRACEBACK_HEAD = re.compile(r"Traceback \(most recent call last\)", re.IGNORECASE)
_FALSE_POSITIVE = _rx(r"Sandbox state restoration failed|Sandbox communication error")
_TOOL_BLOCK_START = re.compile(r"Sending tool calls:|tool_call\.py:\d+")
_TOOL_BLOCK_END = re.compile(r"^(?:\d{4}-\d{2}-\d{2}[ T]|\[\d{2}/\d{2}/\d{2} |Remaining generations:)")
_SOFT_FAIL = _rx(
    r"No data to process|exists,? skipping|nothing to (?:process|evaluate|generate)"
    r"|\ball\b[^\n]{0,80}?\balready (?:completed|processed|evaluated|done)|(?<![\d.])0 samples? to process"
)
_CANCELLED_BY = re.compile(r"\bby\s+(\S+)", re.IGNORECASE)
_STATE_CRASHES: dict[str, tuple[CrashClass, str]] = {
    "TIMEOUT": ("timeout", "time limit reached"),
    "DEADLINE": ("timeout", "deadline reached"),
    "OUT_OF_MEMORY": ("oom", "out of memory"),
    "NODE_FAIL": ("node_fail", "node failure"),
    "BOOT_FAIL": ("node_fail", "node failed to boot"),
    "PREEMPTED": ("preempted", "preempted"),
}
# Crashes an "already done" message cannot excuse: the job really broke, whatever it skipped.
_HARD_CRASHES = frozenset({"oom", "segfault", "cuda", "nccl", "preempted", "timeout", "node_fail", "cancelled"})


def _clip(text: str, limit: int = _MAX_LINE) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def split_tool_calls(text: str) -> tuple[list[str], list[str]]:
    """(kept lines, tool-call lines). A block starts at `Sending tool calls:` or `tool_call.py:N`
    and runs until a non-empty line starting with a timestamp or `Remaining generations:`.
    Known harmless lines are dropped from both."""
    kept: list[str] = []
    tool: list[str] = []
    in_block = False
    for line in text.splitlines():
        if in_block and line.strip() and _TOOL_BLOCK_END.match(line.lstrip()):
            in_block = False
        if not in_block and _TOOL_BLOCK_START.search(line):
            in_block = True
        if _FALSE_POSITIVE.search(line):
            continue
        (tool if in_block else kept).append(line)
    return kept, tool


def _window(log_tail: str | None) -> str:
    return log_tail[-LOG_WINDOW:] if log_tail else ""


def _unprefixed(line: str) -> str:
    return _LAUNCHER_PREFIX.sub("", line, count=1).strip()


def _line_kind(line: str) -> tuple[CrashClass, str] | None:
    line = _unprefixed(line)
    for kind, detail, pattern in _PATTERNS:
        if pattern.search(line):
            return kind, detail
    if _BARE_EXCEPTION.match(line):
        return "traceback", "Python exception"
    return None


def _exception_line(lines: list[str]) -> str | None:
    """The final exception of the last traceback (`FileNotFoundError: ...`)."""
    heads = [i for i, line in enumerate(lines) if _TRACEBACK_HEAD.search(line)]
    for start in (heads[-1], heads[0]) if heads else (0,):
        found = [line for line in lines[start:] if _EXCEPTION_LINE.match(_unprefixed(line))]
        if found:
            return found[-1]
    return None


def _log_crash(lines: list[str]) -> Crash | None:
    best: tuple[int, CrashClass, str, str] | None = None
    for line in lines:
        hit = _line_kind(line)
        if hit is None:
            continue
        rank = _RANK[hit[0]]
        if best is None or rank < best[0]:  # first line of the strongest kind: the root cause
            best = (rank, hit[0], hit[1], line)
    if best is None:
        return None
    _, kind, detail, line = best
    if kind == "traceback":
        line = _exception_line(lines) or line
    return Crash(kind, _clip(line), detail)


def _signal_crash(exit_code: int | None, signal: int | None) -> Crash | None:
    if signal == 11:
        return Crash("segfault", "", "killed by signal 11 (SIGSEGV)")
    if signal:
        return Crash("exit_code", "", f"killed by signal {signal}")
    if exit_code:
        return Crash("exit_code", "", f"exit code {exit_code}")
    return None


def classify(state: str, exit_code: int | None, signal: int | None, reason: str, log_tail: str | None) -> Crash | None:
    """Classify a job's failure, or None when nothing went wrong as far as we can tell."""
    base = base_state(state)
    if base in _STATE_CRASHES:
        kind, detail = _STATE_CRASHES[base]
        return Crash(kind, "", detail)
    kept, _ = split_tool_calls(_window(log_tail))
    if base == "CANCELLED":
        told = f"{state} {reason}".upper() + "\n" + "\n".join(kept).upper()
        if "DUE TO TIME LIMIT" in told:
            return Crash("timeout", "", "time limit reached")
        if "DUE TO PREEMPTION" in told:
            return Crash("preempted", "", "preempted")
        by = _CANCELLED_BY.search(f"{state} {reason}")
        if by is not None:
            return Crash("cancelled", "", f"cancelled by {by.group(1)}")
    if "killed externally" in reason.lower():
        return Crash("killed_externally", "", reason.strip())
    found = _log_crash(kept)
    signal_crash = _signal_crash(exit_code, signal)
    # Signal 11 is as good as a "Segmentation fault" line: it outranks what segfaults outrank.
    is_segv = signal_crash is not None and signal_crash.kind == "segfault"
    if is_segv and (found is None or _RANK[found.kind] > _RANK["segfault"]):
        found = signal_crash
    if found is not None:
        return found
    if base == "CANCELLED":
        return Crash("cancelled", "", "cancelled")
    if signal_crash is not None:
        return signal_crash
    if base == "FAILED":
        return Crash("exit_code", "", f"failed ({reason.strip()})" if reason.strip() else "failed")
    return None


def soft_fail_indicator(log_tail: str | None) -> str | None:
    """Why a failed-looking job actually had nothing (left) to do, or None.

    Either a message saying so, or crash patterns that appear only inside tool-call output."""
    if not log_tail:
        return None
    kept, _ = split_tool_calls(log_tail[-_INDICATOR_WINDOW:])
    match = _SOFT_FAIL.search("\n".join(kept))
    if match is not None:
        return _clip(match.group(0), _MAX_INDICATOR)
    window_kept, window_tool = split_tool_calls(_window(log_tail))
    if _log_crash(window_kept) is None:
        inside = _log_crash(window_tool)
        if inside is not None:
            return f"tool call errors ({_clip(inside.line or inside.detail, _MAX_INDICATOR)})"
    return None


def reclassify(state: str, crash: Crash | None, log_tail: str | None) -> tuple[str, str | None]:
    """The state to display and a replacement reason (None = keep the current reason).

    COMPLETED + crash + indicator → COMPLETED, `soft-fail: …`; COMPLETED + crash → FAILED,
    `log crash: …`; FAILED + indicator → COMPLETED, `soft-fail: …`. An indicator never
    excuses a hard crash (out of memory, segfault, GPU/NCCL errors, time limit, …).
    """
    base = base_state(state)
    if base not in ("COMPLETED", "FAILED"):
        return state, None
    hard = crash is not None and crash.kind in _HARD_CRASHES
    indicator = None if hard else soft_fail_indicator(log_tail)
    if base == "COMPLETED":
        if crash is None:
            return state, None
        if indicator is not None:
            return "COMPLETED", f"soft-fail: {indicator}"
        return "FAILED", f"log crash: {crash.line or crash.detail}"
    if indicator is not None:
        return "COMPLETED", f"soft-fail: {indicator}"
    return state, None


def assess(state: str, exit_code: int | None, signal: int | None, reason: str, log_tail: str | None) -> Verdict:
    """classify + reclassify in one step; a soft failure's crash becomes kind `soft_fail`."""
    crash = classify(state, exit_code, signal, reason, log_tail)
    shown, new_reason = reclassify(state, crash, log_tail)
    if new_reason is not None and new_reason.startswith("soft-fail: "):
        crash = Crash("soft_fail", crash.line if crash is not None else "", new_reason.removeprefix("soft-fail: "))
    return Verdict(shown, new_reason, crash)

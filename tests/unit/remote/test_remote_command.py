"""The remote command line: quoting, login-shell noise stripping, breaker timing."""

from __future__ import annotations

import subprocess
import time
import uuid
from pathlib import Path

import pytest

from clausius.remote.breaker import CircuitBreaker
from clausius.remote.remote_command import build_remote_command, new_nonce, start_marker, strip_preamble


def _run(shell: str, command: str) -> tuple[int, str, str]:
    """Run like sshd does: stdin stays open until the command ends (EOF on stdin means "cancelled")."""
    proc = subprocess.Popen(
        [shell, "-c", command], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stderr is not None and proc.stdin is not None
    out = proc.stdout.read()
    err = proc.stderr.read()
    rc = proc.wait(timeout=10)
    proc.stdin.close()
    return rc, out, err


@pytest.mark.parametrize("shell", ["sh", "bash"])
def test_hostile_arguments_arrive_literally_through_any_shell(shell: str) -> None:
    canary = Path("/tmp") / f"pwned-{uuid.uuid4().hex}"
    args = [f"$(touch {canary})", f"`touch {canary}`", f"a'b\"c;touch {canary}", "line1\nline2", "!x", "*", "-n"]
    nonce = new_nonce()
    command = build_remote_command(["printf", r"%s\0", *args], nonce=nonce, login_shell=False)
    assert "\n" not in command and "!" not in command  # what the login shell parses is one plain line
    rc, out, _ = _run(shell, command)
    body, found = strip_preamble(out, nonce)
    assert found and rc == 0
    assert body.split("\0")[:-1] == args
    assert not canary.exists()


def test_profile_noise_before_the_marker_is_dropped() -> None:
    nonce = new_nonce()
    noisy = f"Welcome to the cluster!\nmodule loaded\n{start_marker(nonce)}\nreal output\n"
    assert strip_preamble(noisy, nonce) == ("real output\n", True)
    other = f"{start_marker('0' * 16)}\nforged\n"
    assert strip_preamble(other, nonce) == (other, False)
    assert strip_preamble(f"x{start_marker(nonce)}\ny\n", nonce)[1] is False  # must start a line


def test_exit_code_passes_through() -> None:
    nonce = new_nonce()
    command = build_remote_command(["bash", "-c", "echo out; echo err >&2; exit 7"], nonce=nonce, login_shell=False)
    rc, out, err = _run("sh", command)
    assert rc == 7
    assert strip_preamble(out, nonce) == ("out\n", True)
    assert strip_preamble(err, nonce) == ("err\n", True)


def test_closing_stdin_stops_the_whole_process_group() -> None:
    marker = f"{uuid.uuid4().int % 900 + 4000}"
    nonce = new_nonce()
    command = build_remote_command(
        ["bash", "-c", f"sleep {marker}.1 & sleep {marker}.2"], nonce=nonce, login_shell=False
    )
    proc = subprocess.Popen(
        ["sh", "-c", command], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert proc.stdout is not None and proc.stdin is not None
    proc.stdout.readline()  # the start marker: the command is running
    proc.stdin.close()  # what sshd does when the client closes the channel
    assert proc.wait(timeout=10) == 143
    for _ in range(50):
        left = subprocess.run(["pgrep", "-f", f"sleep {marker}"], capture_output=True, text=True, check=False)
        if not left.stdout:
            break
        time.sleep(0.1)
    assert left.stdout == ""


def test_breaker_opens_backs_off_and_closes() -> None:
    now = [100.0]
    breaker = CircuitBreaker(clock=lambda: now[0])
    assert breaker.state == "closed" and breaker.retry_in() == 0
    breaker.record_failure("refused")
    assert breaker.state == "open" and breaker.retry_in() == 1.0
    now[0] += 1.0
    assert breaker.state == "half-open"
    breaker.record_failure("refused")
    assert breaker.retry_in() == 2.0
    for _ in range(20):
        breaker.record_failure("refused")
    assert breaker.retry_in() == 60.0  # capped
    breaker.record_success()
    assert breaker.state == "closed" and breaker.last_error is None

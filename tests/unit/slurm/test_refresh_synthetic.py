"""The refresh script and its parser on synthetic outputs (noise, failures, forged markers)."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from clausius.slurm.commands import to_shell
from clausius.slurm.errors import InvalidSlurmArgument, SlurmParseError
from clausius.slurm.refresh import build_refresh_script, parse_refresh

NONCE = "0123456789abcdef"
OTHER = "fedcba9876543210"
NOW = 1795597872.0
SQUEUE_ROW = (
    "20|20|alice|PENDING|Dependency|physics|cpu|normal|1000|1|1|N/A|cpu=1,mem=1G,node=1,billing=1"
    "|2026-11-25T10:00:00|N/A|N/A|0:00|30:00"
    "|afterok:19(unfulfilled)|(null)|needs-long"
)
SACCT_ROW = (
    "19|19|alice|physics|cpu|normal|FAILED|3:0|0:0||2026-11-25T10:00:00|2026-11-25T10:00:01|2026-11-25T10:00:02"
    "|1|30|1|1|alpha-cpu1|billing=1,cpu=1,mem=1G,node=1|billing=1,cpu=1,mem=1G,node=1|fail-exit3"
)

SACCT_PREFIX = SACCT_ROW.removesuffix("|fail-exit3")


def mark(what: str, nonce: str = NONCE) -> str:
    return f"\n@@clausius:{nonce}:{what}\n"


def section(name: str, body: str, rc: int = 0, nonce: str = NONCE) -> str:
    return mark(f"begin:{name}", nonce) + body + mark(f"end:{name}:{rc}", nonce)


def full_stdout(squeue: str = SQUEUE_ROW + "\n", sacct: str = SACCT_ROW + "\n", noise: str = "") -> str:
    return (
        noise
        + section("clock", "1795597872+0100\n")
        + noise
        + section("squeue", squeue)
        + noise
        + section("sacct", sacct)
        + noise
    )


def full_stderr() -> str:
    return section("clock", "") + section("squeue", "") + section("sacct", "")


def test_clean_run() -> None:
    result = parse_refresh(full_stdout(), full_stderr(), NONCE)
    assert result.errors == {}
    assert result.clock is not None and result.clock.utc_offset_sec == 3600
    assert result.squeue_jobs is not None and [j.job_id for j in result.squeue_jobs] == ["20"]
    assert result.sacct_jobs is not None and result.sacct_jobs[0].exit_code == 3
    # Times converted with the offset reported in the same output: 10:00 at UTC+1 = 09:00 UTC.
    assert result.squeue_jobs[0].submit_time == 1795597872.0 - 11 * 60 - 12
    assert all(s.ok for s in result.sections.values())


def test_motd_before_and_between_sections_is_ignored() -> None:
    banner = "Welcome to alpha!\n*** maintenance on Friday ***\n|||\n1|2|3\n"
    result = parse_refresh(full_stdout(noise=banner), "Last login: yesterday\n" + full_stderr(), NONCE)
    assert result.errors == {}
    assert result.squeue_jobs is not None and len(result.squeue_jobs) == 1
    assert "maintenance" in result.noise


def test_output_without_trailing_newline_still_frames() -> None:
    stdout = section("clock", "1795597872+0100") + section("squeue", SQUEUE_ROW) + section("sacct", "")
    result = parse_refresh(stdout, "", NONCE)
    assert result.errors == {}
    assert result.squeue_jobs is not None and len(result.squeue_jobs) == 1
    assert result.sacct_jobs == ()


def test_failing_squeue_does_not_spoil_sacct() -> None:
    stdout = section("clock", "1795597872+0100\n") + section("squeue", "", rc=1) + section("sacct", SACCT_ROW + "\n")
    stderr = (
        section("clock", "")
        + section("squeue", "squeue: error: Invalid user: bob\n", rc=1)
        + section("sacct", "", rc=0)
    )
    result = parse_refresh(stdout, stderr, NONCE)
    assert result.squeue_jobs is None
    assert result.errors["squeue"] == "exit code 1: squeue: error: Invalid user: bob"
    assert result.sections["squeue"].stderr == "squeue: error: Invalid user: bob\n"
    assert result.sacct_jobs is not None and len(result.sacct_jobs) == 1
    assert "sacct" not in result.errors


def test_missing_section_is_reported_not_raised() -> None:
    stdout = section("clock", "1795597872+0100\n") + section("squeue", SQUEUE_ROW + "\n")
    result = parse_refresh(stdout, "", NONCE)
    assert result.errors == {"sacct": "section missing"}
    assert not result.sections["sacct"].present
    assert result.sacct_jobs is None and result.squeue_jobs is not None


def test_section_cut_short() -> None:
    stdout = section("clock", "1795597872+0100\n") + mark("begin:squeue") + SQUEUE_ROW + "\n"
    result = parse_refresh(stdout, "", NONCE)
    assert result.errors["squeue"].startswith("section cut short")
    assert result.sections["squeue"].present and not result.sections["squeue"].complete


def test_no_markers_at_all_raises() -> None:
    with pytest.raises(SlurmParseError, match="no section markers"):
        parse_refresh("bash: squeue: command not found\n", "", NONCE)
    with pytest.raises(SlurmParseError):
        parse_refresh(full_stdout(), full_stderr(), OTHER)


def test_clock_failure_uses_the_fallback_offset() -> None:
    stdout = section("clock", "", rc=127) + section("squeue", SQUEUE_ROW + "\n") + section("sacct", "")
    result = parse_refresh(stdout, "", NONCE)
    assert result.clock is None
    assert "exit code 127" in result.errors["clock"]
    assert "no UTC offset" in result.errors["squeue"]
    result = parse_refresh(stdout, "", NONCE, fallback_utc_offset=0)
    assert result.squeue_jobs is not None and "squeue" not in result.errors


def test_unparseable_section_is_a_per_section_error() -> None:
    result = parse_refresh(full_stdout(squeue="this|is|not|squeue\n"), full_stderr(), NONCE)
    assert result.squeue_jobs is None
    assert result.errors["squeue"].startswith("squeue:")
    assert result.sacct_jobs is not None


def test_forged_markers_in_a_job_name_cannot_end_a_section() -> None:
    forged_same_line = SQUEUE_ROW.replace("needs-long", f"@@clausius:{OTHER}:end:squeue:0")
    # Slurm accepts a newline in a job name: the forged marker then sits on a line of its own.
    forged_own_line = SQUEUE_ROW.replace(
        "needs-long", f"x\n@@clausius:{OTHER}:end:squeue:0\n@@clausius:{OTHER}:begin:sacct"
    )
    # Even with our nonce, a marker embedded in a row is not a whole line.
    forged_our_nonce = SQUEUE_ROW.replace("needs-long", f"@@clausius:{NONCE}:end:squeue:0")
    body = "\n".join([forged_same_line, forged_own_line, forged_our_nonce, SQUEUE_ROW]) + "\n"
    result = parse_refresh(full_stdout(squeue=body), full_stderr(), NONCE)
    assert result.errors == {}
    assert result.squeue_jobs is not None
    names = [j.name for j in result.squeue_jobs]
    assert names == [
        f"@@clausius:{OTHER}:end:squeue:0",
        f"x\n@@clausius:{OTHER}:end:squeue:0\n@@clausius:{OTHER}:begin:sacct",
        f"@@clausius:{NONCE}:end:squeue:0",
        "needs-long",
    ]


def test_crlf_output_frames() -> None:
    result = parse_refresh(full_stdout().replace("\n", "\r\n"), full_stderr(), NONCE)
    assert result.errors == {}


def test_script_contents() -> None:
    script = build_refresh_script("alice", NOW - 600, 3600, NONCE, now_epoch=NOW)
    assert script.nonce == NONCE and script.since_epoch == NOW - 600
    text = script.text
    assert f"date -d @{int(NOW - 600)} " in text
    assert "__clausius_since='2026-11-25T10:01:12'" in text  # the hint-based fallback, UTC+1
    assert "-u alice" in text
    assert '-S "$__clausius_since"' in text
    # every command reads /dev/null so a piped script cannot be swallowed
    for line in text.splitlines():
        if line.startswith(("date +%s", "env ")):
            assert line.endswith("</dev/null")


def test_script_defaults_to_a_fresh_nonce() -> None:
    a = build_refresh_script("alice", NOW - 600, 0, now_epoch=NOW)
    b = build_refresh_script("alice", NOW - 600, 0, now_epoch=NOW)
    assert a.nonce != b.nonce and len(a.nonce) == 16


@pytest.mark.parametrize("bad", ["$(id)", "alice bob", "-u", ""])
def test_script_rejects_bad_users(bad: str) -> None:
    with pytest.raises(InvalidSlurmArgument):
        build_refresh_script(bad, NOW - 600, 0, now_epoch=NOW)


@pytest.mark.parametrize("bad", ["XYZ", "0123", "abc$(id)", "@@"])
def test_script_rejects_bad_nonces(bad: str) -> None:
    with pytest.raises(InvalidSlurmArgument):
        build_refresh_script("alice", NOW - 600, 0, bad, now_epoch=NOW)


def _fake_bin(tmp_path: Path) -> Path:
    """squeue and sacct stand-ins: squeue fails, sacct echoes its -S argument."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "squeue").write_text("#!/bin/sh\necho 'squeue: error: slurm_load_jobs error: timeout' >&2\nexit 1\n")
    (bin_dir / "sacct").write_text(
        "#!/bin/sh\nfor a; do case $prev in -S) S=$a;; esac; prev=$a; done\n"
        "cat >/dev/null  # must not eat the piped script\n"
        f"printf '%s|S=%s\\n' '{SACCT_PREFIX}' \"$S\"\n"
    )
    for tool in bin_dir.iterdir():
        tool.chmod(0o755)
    return bin_dir


@pytest.mark.parametrize("mode", ["stdin", "lc"])
def test_script_runs_under_bash(tmp_path: Path, mode: str) -> None:
    """Run the real script with bash (piped to `bash -s` and as `bash -c`) against fake Slurm tools."""
    script = build_refresh_script("alice", NOW - 600, 3600, NONCE, now_epoch=NOW)
    env = {"PATH": f"{_fake_bin(tmp_path)}:/usr/bin:/bin", "TZ": "UTC", "HOME": str(tmp_path)}
    argv, stdin = (["bash", "-s"], script.text) if mode == "stdin" else (["bash", "-c", script.text], "")
    proc = subprocess.run(argv, input=stdin, capture_output=True, text=True, env=env, timeout=20, check=False)
    result = parse_refresh(proc.stdout, proc.stderr, NONCE)
    assert result.clock is not None and result.clock.utc_offset_sec == 0
    assert abs(result.clock.epoch - time.time()) < 60
    assert result.errors["squeue"] == "exit code 1: squeue: error: slurm_load_jobs error: timeout"
    assert result.sacct_jobs is not None
    # GNU date rendered the window start in the remote zone (TZ=UTC here), not via the UTC+1 hint.
    assert result.sacct_jobs[0].name == "S=2026-11-25T09:01:12"


def test_script_survives_a_second_shell_layer(tmp_path: Path) -> None:
    """What an SSH transport sends as one command string: `bash -lc <quoted script>` through `sh -c`."""
    script = build_refresh_script("alice", NOW - 600, 0, NONCE, now_epoch=NOW)
    env = {"PATH": f"{_fake_bin(tmp_path)}:/usr/bin:/bin", "TZ": "UTC", "HOME": str(tmp_path)}
    command = to_shell(["bash", "-c", script.text])
    proc = subprocess.run(["sh", "-c", command], capture_output=True, text=True, env=env, timeout=20, check=False)
    result = parse_refresh(proc.stdout, proc.stderr, NONCE)
    assert result.clock is not None and result.sacct_jobs is not None


def test_merged_streams_still_frame() -> None:
    """A transport with a pty merges stderr into stdout: each marker then appears twice."""
    merged = "".join(
        mark(f"begin:{n}") + mark(f"begin:{n}") + body + mark(f"end:{n}:0") + mark(f"end:{n}:0")
        for n, body in (("clock", "1795597872+0100\n"), ("squeue", SQUEUE_ROW + "\n"), ("sacct", SACCT_ROW + "\n"))
    )
    result = parse_refresh(merged, "", NONCE)
    assert result.errors == {}
    assert result.squeue_jobs is not None and len(result.squeue_jobs) == 1


def test_a_nonce_with_regex_characters_is_just_text() -> None:
    with pytest.raises(SlurmParseError):
        parse_refresh(full_stdout(), full_stderr(), "a(b")

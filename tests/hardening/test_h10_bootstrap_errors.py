"""Item 10: bootstrap problems are one line naming the file and the key, exit 2 (never "internal error")."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def _clausius(tmp_path: Path, toml: bytes | None = None, **env_extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLAUSIUS_")}
    env.update(HOME=str(tmp_path), **env_extra)
    if toml is not None:
        conf = tmp_path / "clausius.toml"
        conf.write_bytes(toml)
        env["CLAUSIUS_BOOTSTRAP_FILE"] = str(conf)
    return subprocess.run(
        [sys.executable, "-m", "clausius", "list-clusters"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=tmp_path,
    )


def _one_clear_line(proc: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    assert "internal error" not in proc.stderr
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


def test_a_non_utf8_toml_names_the_file(tmp_path: Path) -> None:
    proc = _clausius(tmp_path, b'[bootstrap]\ndata_dir = "caf\xe9"\n')
    _one_clear_line(proc, str(tmp_path / "clausius.toml"), "UTF-8")


@pytest.mark.parametrize("value", ["1e400", "7272.0", "inf", "-1e400"])
def test_a_port_that_is_a_float_names_file_and_key(tmp_path: Path, value: str) -> None:
    proc = _clausius(tmp_path, f"[bootstrap]\nport = {value}\n".encode())
    _one_clear_line(proc, str(tmp_path / "clausius.toml"), "[bootstrap] port")


def test_a_data_dir_that_is_a_file_names_file_and_key(tmp_path: Path) -> None:
    (tmp_path / "not-a-dir").write_text("x")
    proc = _clausius(tmp_path, b'[bootstrap]\ndata_dir = "not-a-dir"\n')
    _one_clear_line(proc, str(tmp_path / "clausius.toml"), "[bootstrap] data_dir", "is not a directory")


def test_a_data_dir_under_a_file_names_file_and_key(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("x")
    proc = _clausius(tmp_path, b'[bootstrap]\ndata_dir = "a-file/below/data"\n')
    _one_clear_line(proc, "[bootstrap] data_dir", "cannot be created")


def test_the_environment_variable_is_named_too(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("x")
    proc = _clausius(tmp_path, CLAUSIUS_DATA_DIR=str(tmp_path / "a-file"))
    _one_clear_line(proc, "CLAUSIUS_DATA_DIR", "is not a directory")

"""Fixtures for the CLI tests: every test drives the real `clausius` entry point in a subprocess.

Each test gets its own HOME (so no ~/.config/clausius file is found) and its own
data directory under `tmp_path`; no CLAUSIUS_* variable leaks in from the caller.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
LEGACY_CONFIG = FIXTURES / "legacy" / "config.v3.json"

Result = subprocess.CompletedProcess[str]


def describe(result: Result) -> str:
    """Everything needed to understand a failed assertion about one run."""
    return (
        f"\n$ {' '.join(str(a) for a in result.args)}\n"
        f"exit code: {result.returncode}\n"
        f"--- stdout ---\n{result.stdout}\n--- stderr ---\n{result.stderr}"
    )


def assert_ok(result: Result) -> Result:
    assert result.returncode == 0, describe(result)
    assert "Traceback" not in result.stderr, describe(result)
    return result


def assert_error(result: Result, code: int, *fragments: str, stdout_empty: bool = True) -> str:
    """Exit `code`, exactly one `error: ` line on stderr naming every fragment, never a traceback."""
    assert result.returncode == code, describe(result)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, describe(result)
    assert lines[0].startswith("error: "), describe(result)
    assert "Traceback" not in result.stderr + result.stdout, describe(result)
    for fragment in fragments:
        assert fragment in lines[0], f"{fragment!r} not in the error line{describe(result)}"
    if stdout_empty:
        assert result.stdout == "", describe(result)
    return lines[0]


@dataclass(frozen=True)
class Cli:
    """Runs `python -m clausius` with cwd, HOME and the data directory isolated under `root`."""

    root: Path

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def db_path(self) -> Path:
        return self.data_dir / "history.db"

    @property
    def backup_dir(self) -> Path:
        return self.data_dir / "backups"

    def env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CLAUSIUS_")}
        env.update(HOME=str(self.root / "home"), CLAUSIUS_DATA_DIR=str(self.data_dir), COLUMNS="200")
        env.update(extra or {})
        return env

    def run_argv(
        self, argv: Sequence[str], *, input: str | None = None, env: Mapping[str, str] | None = None
    ) -> Result:
        return subprocess.run(
            list(argv),
            cwd=self.root,
            env=self.env(env),
            input=input,
            stdin=subprocess.DEVNULL if input is None else None,
            text=True,
            capture_output=True,
            timeout=60,
            check=False,
        )

    def __call__(self, *args: str, input: str | None = None, env: Mapping[str, str] | None = None) -> Result:
        return self.run_argv([sys.executable, "-m", "clausius", *args], input=input, env=env)

    def ok(self, *args: str, input: str | None = None) -> Result:
        return assert_ok(self(*args, input=input))

    def json(self, *args: str) -> Any:
        """Run a command with `--json`, require success and parse stdout."""
        result = self.ok(*args, "--json")
        try:
            return json.loads(result.stdout)
        except json.JSONDecodeError as exc:
            raise AssertionError(f"stdout is not JSON: {exc}{describe(result)}") from None


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(tmp_path)


def load_legacy_config() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(LEGACY_CONFIG.read_text(encoding="utf-8"))
    return data

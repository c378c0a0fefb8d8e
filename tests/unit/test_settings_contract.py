"""Every setting does what it says or says it is not used yet (the registry's NOT_USED_YET table)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from clausius.core.settings_registry import NOT_USED_YET, REGISTRY

SRC = Path(__file__).resolve().parents[2] / "src" / "clausius"
# The registry defines the keys and the v3 import maps old names to them: neither reads a value.
NOT_READERS = {SRC / "core" / "settings_registry.py", SRC / "core" / "legacy_config.py"}


def _readers(key: str) -> list[Path]:
    pattern = re.compile(rf"""["']{re.escape(key)}["']""")
    return [
        path
        for path in SRC.rglob("*")
        if path.suffix in (".py", ".html", ".js") and path not in NOT_READERS and pattern.search(path.read_text())
    ]


def test_every_setting_is_read_or_listed_as_not_used_yet() -> None:
    unread = sorted(key for key in REGISTRY if key not in NOT_USED_YET and not _readers(key))
    assert unread == [], f"settings no code reads (use them, or list them in NOT_USED_YET): {unread}"


def test_a_setting_listed_as_not_used_yet_is_really_not_read() -> None:
    read = {key: [str(p.relative_to(SRC)) for p in _readers(key)] for key in NOT_USED_YET}
    assert {k: v for k, v in read.items() if v} == {}, "now read by code: take them off NOT_USED_YET"
    assert set(NOT_USED_YET) <= set(REGISTRY)


def test_clausius_settings_marks_them(tmp_path: Path) -> None:
    env = {"CLAUSIUS_DATA_DIR": str(tmp_path / "data"), "HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}

    def settings(*args: str) -> str:
        command = [sys.executable, "-m", "clausius", "settings", *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=60, check=True, env=env).stdout

    marked = {s["key"] for s in json.loads(settings("--json")) if s["not_used_yet"]}
    assert marked == set(NOT_USED_YET)
    assert settings().count("[not used yet: comes with") == len(NOT_USED_YET)

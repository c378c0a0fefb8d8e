"""Item 1: stage-suffix matching is linear-time by construction and the setting is validated on write.

The time budgets here are correctness bounds (a backtracking matcher takes tens of seconds
per name on these inputs), not benchmarks.
"""

from __future__ import annotations

import time

import pytest

from clausius.core.naming import MAX_STAGE_SUFFIXES, NEMO_SKILLS_STAGE_SUFFIXES, compile_stage_suffixes, run_key
from clausius.core.settings_registry import SETTINGS, coerce
from clausius.errors import InvalidInput
from tests.api.conftest import LiveServer

STAGE = next(s for s in SETTINGS if s.key == "stage_suffixes")
# What froze the board: many `<N>` patterns and names with long digit runs.
ADVERSARIAL_PATTERNS = [f"x<N>[<N>][-<N>][_<N>]{'[<N>]' * 4}" for _ in range(8)] + [
    "<N><N><N><N>",
    "[<N>][<N>][<N>][<N>][<N>]<N>",
    "[a|<N>][b|<N>][c|<N>]<N>",
] * 7
ADVERSARIAL_NAMES = [
    "run_" + "1" * 200 + "x",
    "run-" + "1" * 300,
    "a_" + "-1" * 150,
    "exp_" + "x1" * 120 + "-",
    "job-" + "12345678" * 40 + "!",
]


def test_adversarial_patterns_and_names_match_in_linear_time() -> None:
    suffixes = compile_stage_suffixes(ADVERSARIAL_PATTERNS[:MAX_STAGE_SUFFIXES])
    names = (ADVERSARIAL_NAMES * 2000)[:10_000]
    started = time.perf_counter()
    keys = [run_key(name, suffixes) for name in names]
    elapsed = time.perf_counter() - started
    assert len(keys) == 10_000
    # ~1.1 s here unloaded (3 M characters through the automaton); the backtracking regex took ~44 s
    # for ONE board read of such a name. The bound leaves room for a loaded 2-core CI machine.
    assert elapsed < 8.0, f"{elapsed:.2f} s for 10,000 adversarial names: not linear"
    # And it still matches what it should: the digit run after a separator is a suffix.
    assert run_key("run-" + "1" * 300, compile_stage_suffixes(["<N>"])) == "run"


def test_ten_thousand_ordinary_names_take_under_50_ms() -> None:
    suffixes = compile_stage_suffixes([*NEMO_SKILLS_STAGE_SUFFIXES, "-judge-rs<N>", "-summarize-results"])
    names = [f"hle_v{i % 7}_qwen-{i}-rs{i % 13}-judge-rs{i % 5}" for i in range(10_000)]
    run_key(names[0], suffixes)  # the automaton's states are built on first use
    best = min(_timed(names, suffixes) for _ in range(3))
    assert best < 0.05 * 4, f"{best * 1000:.0f} ms for 10,000 names"  # 4x slack for a loaded 2-core CI


def _timed(names: list[str], suffixes: object) -> float:
    started = time.perf_counter()
    for name in names:
        run_key(name, suffixes)  # type: ignore[arg-type]
    return time.perf_counter() - started


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        (["-judge[-rs<N>"], "unbalanced '['"),
        (["-judge]"], "unbalanced ']'"),
        (["-"], "must not be empty"),
        (["-x" * 60], "at most 100 characters"),
        ([f"-s{i}" for i in range(MAX_STAGE_SUFFIXES + 1)], "at most"),
    ],
)
def test_bad_stage_suffixes_are_refused_on_write(value: list[str], fragment: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        coerce(STAGE, value)
    assert fragment in caught.value.message and "stage_suffixes" in caught.value.message


def test_the_api_refuses_a_bad_pattern_with_422_and_keeps_the_old_value(live: LiveServer) -> None:
    with live.writer() as http:
        bad = http.put("/api/settings/stage_suffixes", json={"value": ["-judge[-rs<N>"]})
        assert bad.status_code == 422 and "unbalanced" in bad.json()["error"]
        many = http.put("/api/settings/stage_suffixes", json={"value": ADVERSARIAL_PATTERNS[:MAX_STAGE_SUFFIXES]})
        assert many.status_code == 200
        started = time.perf_counter()
        board = http.get("/api/board")
        assert board.status_code == 200
    assert time.perf_counter() - started < 10
    stored = live.services.settings.get_list("stage_suffixes")
    assert stored == list(dict.fromkeys(ADVERSARIAL_PATTERNS[:MAX_STAGE_SUFFIXES]))  # duplicates are dropped

"""The job-name prefix protocol, run keys and name-inferred parents (reference §8.2, §8.3)."""

from __future__ import annotations

import pytest

from clausius.core.config_models import Project
from clausius.core.naming import (
    DEFAULT_STAGE_SUFFIXES,
    DEFAULT_SUFFIXES,
    NEMO_SKILLS_STAGE_SUFFIXES,
    NameParts,
    compile_stage_suffixes,
    inferred_parent_candidates,
    is_background,
    parse_job_name,
    run_key,
    stage_suffix_error,
)


def project(name: str, prefix: str | None = None) -> Project:
    return Project(name=name, prefix=prefix or f"{name}_", color="#e8f4fd", emoji="🔬", created_at=0.0)


# Configured in the "wrong" order on purpose: the shorter prefix comes first.
PROJECTS = [project("hle"), project("hle-v2", "hle-v2_"), project("custom", "cx-")]
NEMO = compile_stage_suffixes([*DEFAULT_STAGE_SUFFIXES, *NEMO_SKILLS_STAGE_SUFFIXES])


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("hle_mpsf_nem120b-r9", NameParts("hle", "mpsf", "nem120b-r9")),
        ("hle_MPSF_nem120b-r9-judge-rs0", NameParts("hle", "mpsf", "nem120b-r9-judge-rs0")),
        ("hle-v2_eval_kimi-k25", NameParts("hle-v2", "eval", "kimi-k25")),  # longest configured prefix wins
        ("cx-train_big", NameParts("custom", "train", "big")),  # a prefix without "_" still works
        ("cx-trainbig", NameParts("custom", None, "trainbig")),
        ("cx-train_a_b", NameParts("custom", "train", "a_b")),
        ("My-Project_train_r1", NameParts("my-project", "train", "r1")),  # auto-detected, lower-cased
        ("eval-suite_only-details", NameParts("eval-suite", None, "only-details")),
        ("hle__x", NameParts("hle", None, "_x")),  # empty campaign segment is no campaign
        ("hle_", NameParts("hle", None, "")),
        ("9lives_x_y", NameParts(None, None, "9lives_x_y")),  # must start with a letter
        ("plainname", NameParts(None, None, "plainname")),
        ("", NameParts(None, None, "")),
    ],
)
def test_parse_job_name(name: str, expected: NameParts) -> None:
    assert parse_job_name(name, PROJECTS) == expected


def test_longest_prefix_wins_whatever_the_configured_order() -> None:
    # Regression: the original took the first configured prefix in dict order.
    for order in (PROJECTS, list(reversed(PROJECTS))):
        assert parse_job_name("hle-v2_eval_x", order).project == "hle-v2"
    assert parse_job_name("hle-v2_eval_x", [project("hle", "hle")]).project == "hle"


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("hle_mpsf_nem120b-r9", "hle_mpsf_nem120b-r9"),
        ("hle_mpsf_nem120b-r9-judge-rs0", "hle_mpsf_nem120b-r9"),
        ("hle_mpsf_nem120b-r9-judge-rs12", "hle_mpsf_nem120b-r9"),
        ("hle_mpsf_nem120b-r9-summarize-results", "hle_mpsf_nem120b-r9"),
        ("HLE_MPSF_Nem120b-R9_Summarize_Results", "hle_mpsf_nem120b-r9"),  # case and separator insensitive
        ("x-judge-rs0-summarize-results", "x"),  # stripped repeatedly
        ("x-judge-rs", "x-judge-rs"),  # <N> needs digits
        ("x-judge", "x-judge"),  # not a default suffix
        ("xjudge-rs1", "xjudge-rs1"),  # no separator before the suffix
        ("-judge-rs1", "misc"),
        ("", "misc"),
        ("  ", "misc"),
    ],
)
def test_run_key_default_suffixes(name: str, key: str) -> None:
    assert run_key(name, DEFAULT_SUFFIXES) == key


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("r-eval-judge-server", "r"),
        ("r-judge-client", "r"),
        ("r-probes-server", "r"),
        ("r-probe-l3", "r"),
        ("r-sep-l12", "r"),
        ("r-paths-probes", "r"),
        ("r-path-analytical-c2", "r"),
        ("r-path-knowledge", "r"),
        ("r-merge-computational", "r"),
        ("r-gate", "r"),
        ("r-gate-classify", "r"),
        ("r-chunk7", "r"),
        ("r_server", "r"),
        ("r-summarize-result", "r"),
        ("r-summarize", "r"),
        ("r-judge", "r"),
        ("r-rs3-c1", "r"),
        ("r-chunk7-rs0-server", "r"),
        ("r-serverless", "r-serverless"),
    ],
)
def test_run_key_nemo_skills_stages(name: str, key: str) -> None:
    assert run_key(name, NEMO) == key


def test_custom_suffixes_and_empty_set() -> None:
    custom = compile_stage_suffixes(["_ablation[-v<N>]", "-retry|-again"])
    assert run_key("exp-1_ablation-v3", custom) == "exp-1"
    assert run_key("exp-1-ablation", custom) == "exp-1"
    assert run_key("exp-1-retry-again", custom) == "exp-1"
    none = compile_stage_suffixes([])
    assert run_key("A-judge-rs0", none) == "a-judge-rs0"
    assert compile_stage_suffixes(["", "-", "__"]).automaton is None


@pytest.mark.parametrize(
    ("pattern", "error"),
    [
        ("-judge-rs<N>", None),
        ("gate[-classify|-prep]", None),
        ("bad[", "unbalanced '[' in 'bad['"),
        ("bad]", "unbalanced ']' in 'bad]'"),
        ("-", "a stage suffix must not be empty"),
    ],
)
def test_stage_suffix_error(pattern: str, error: str | None) -> None:
    assert stage_suffix_error(pattern) == error


def test_malformed_pattern_is_matched_literally() -> None:
    odd = compile_stage_suffixes(["-x[y", "-(a+)"])
    assert run_key("run-x[y", odd) == "run"
    assert run_key("run-(a+)", odd) == "run"
    assert run_key("run-aa", odd) == "run-aa"  # regex characters are not regex


@pytest.mark.parametrize(
    ("name", "candidates"),
    [
        ("b-judge-rs0", ["b"]),
        ("b-judge-rs3", ["b"]),
        ("hle_x_b-summarize-results", ["hle_x_b-judge-rs0", "hle_x_b-judge", "hle_x_b"]),
        ("b_summarize_results", ["b-judge-rs0", "b-judge", "b"]),
        ("b", []),
        ("b-judge", []),  # not a configured stage by default
        ("-judge-rs0", []),
    ],
)
def test_inferred_parent_candidates(name: str, candidates: list[str]) -> None:
    assert inferred_parent_candidates(name) == candidates


def test_inferred_parents_follow_the_configured_suffixes() -> None:
    assert inferred_parent_candidates("b-judge", NEMO) == ["b"]
    assert inferred_parent_candidates("b-summarize", NEMO) == ["b-judge-rs0", "b-judge", "b"]
    assert inferred_parent_candidates("b-judge-rs0", compile_stage_suffixes([])) == []


@pytest.mark.parametrize(
    ("name", "suffixes", "expected"),
    [
        ("hle_x_vllm_server", ["_server"], True),
        ("hle_x_vllm-server", ["_server"], False),  # plain endswith, no separator magic
        ("hle_x_SERVER", ["_server"], False),
        ("a", ["", "_x"], False),  # an empty suffix never matches everything
        ("a_x", ["", "_x"], True),
        ("a_x", [], False),
    ],
)
def test_is_background(name: str, suffixes: list[str], expected: bool) -> None:
    assert is_background(name, suffixes) is expected


def test_compiled_patterns_keep_only_usable_ones() -> None:
    assert compile_stage_suffixes(["-judge-rs<N>", "", " -summarize-results "]).patterns == (
        "-judge-rs<N>",
        "-summarize-results",
    )

"""Run grouping, DAG order and backup/dependent classification (reference §8.3)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clausius.core.naming import DEFAULT_SUFFIXES as SUFFIXES
from clausius.core.runs import (
    RunGroup,
    RunJob,
    chain_depths,
    classify_waiting,
    group_runs,
    job_id_sort_key,
    topological_order,
)

BASE = "hle_mpsf_nem120b-r9"


def job(
    job_id: str,
    name: str = BASE,
    state: str = "COMPLETED",
    t: float | None = 1000.0,
    *,
    cluster: str = "alpha",
    deps: tuple[tuple[str, str], ...] = (),
    run_id: str | None = None,
    reason: str = "",
) -> RunJob:
    return RunJob(cluster, job_id, name, state, t, dependencies=deps, known_run_id=run_id, reason=reason)


def by_root(groups: list[RunGroup]) -> dict[str, RunGroup]:
    return {g.root_job_id: g for g in groups}


def test_nemo_chain_with_slurm_dependencies() -> None:
    # The lab's chain: eval → judge (afterany) → summarize (afterany), submitted together.
    jobs = [
        job("168", f"{BASE}-summarize-results", "PENDING", 1002.0, deps=(("afterany", "167"),)),
        job("166", BASE, "RUNNING", 1000.0),
        job("167", f"{BASE}-judge-rs0", "PENDING", 1001.0, deps=(("afterany", "166"),)),
    ]
    [group] = group_runs(jobs, SUFFIXES)
    assert group.run_id == "alpha:166"
    assert group.label == BASE
    assert group.root_job_id == "166"
    assert group.job_ids == ("166", "167", "168")
    assert dict(group.depth) == {"166": 0, "167": 1, "168": 2}
    assert dict(group.parents) == {"166": (), "167": ("166",), "168": ("167",)}


def test_same_name_reruns_more_than_the_gap_apart_are_separate_runs() -> None:
    jobs = [job("10", t=1000.0), job("11", t=1000.0 + 301), job("12", t=1000.0 + 301 + 300)]
    groups = group_runs(jobs, SUFFIXES)
    assert [g.job_ids for g in groups] == [("11", "12"), ("10",)]  # newest first; 300 s apart still joins
    assert [g.run_id for g in groups] == ["alpha:11", "alpha:10"]


def test_gap_is_configurable() -> None:
    jobs = [job("10", t=0.0), job("11", t=50.0)]
    assert len(group_runs(jobs, SUFFIXES, gap_sec=10)) == 2
    assert len(group_runs(jobs, SUFFIXES, gap_sec=60)) == 1


def test_time_is_first_available_of_submit_start_end() -> None:
    early = RunJob("alpha", "1", BASE, "COMPLETED", None, None, 1000.0)
    late = RunJob("alpha", "2", BASE, "RUNNING", None, 5000.0, None)
    assert len(group_runs([early, late], SUFFIXES)) == 2


def test_jobs_without_times_join_the_last_bucket() -> None:
    jobs = [job("1", t=0.0), job("2", t=10_000.0), job("3", t=None)]
    assert by_root(group_runs(jobs, SUFFIXES))["2"].job_ids == ("2", "3")
    lonely = group_runs([job("4", t=None), job("5", t=None)], SUFFIXES)
    assert [g.job_ids for g in lonely] == [("4", "5")]


def test_buckets_sharing_a_known_run_stay_together() -> None:
    # A skip-filled resubmission an hour later, already recorded under the first run.
    jobs = [job("1", t=0.0, run_id="run-a"), job("2", t=3600.0, run_id="run-a"), job("3", t=7200.0)]
    groups = group_runs(jobs, SUFFIXES)
    assert sorted(g.job_ids for g in groups) == [("1", "2"), ("3",)]
    assert by_root(groups)["1"].run_id == "run-a"
    assert by_root(groups)["3"].run_id == "alpha:3"


def test_buckets_bound_to_different_runs_stay_apart() -> None:
    jobs = [job("1", t=0.0, run_id="run-a"), job("2", t=3600.0, run_id="run-b")]
    assert sorted(g.run_id for g in group_runs(jobs, SUFFIXES)) == ["run-a", "run-b"]


def test_run_id_prefers_the_roots_then_the_most_common() -> None:
    jobs = [
        job("1", t=0.0, run_id="root-run"),
        job("2", t=1.0, run_id="other", deps=(("afterok", "1"),)),
        job("3", t=2.0, run_id="other", deps=(("afterok", "1"),)),
    ]
    assert [g.run_id for g in group_runs(jobs, SUFFIXES)] == ["root-run"]
    jobs = [job("1", t=0.0), job("2", t=1.0, run_id="b"), job("3", t=2.0, run_id="a"), job("4", t=3.0, run_id="a")]
    assert [g.run_id for g in group_runs(jobs, SUFFIXES)] == ["a"]


def test_name_inferred_parents_link_judge_and_summarize() -> None:
    # History rows without stored dependencies: the chain is inferred from the names, each child
    # following the latest same-named parent submitted before it.
    jobs = [
        job("100", BASE, t=0.0),
        job("200", BASE, t=50_000.0),
        job("201", f"{BASE}-judge-rs0", t=50_100.0),
        job("202", f"{BASE}-summarize-results", t=50_200.0),
    ]
    groups = by_root(group_runs(jobs, SUFFIXES))
    assert groups["200"].job_ids == ("200", "201", "202")
    assert dict(groups["200"].parents) == {"200": (), "201": ("200",), "202": ("201",)}
    assert groups["100"].job_ids == ("100",)


def test_summarize_falls_back_to_the_base_without_a_judge() -> None:
    jobs = [job("1", "exp_a_b", t=0.0), job("2", "exp_a_b-summarize-results", t=10.0)]
    [group] = group_runs(jobs, SUFFIXES)
    assert dict(group.parents) == {"1": (), "2": ("1",)}


def test_recorded_dependency_beats_name_inference() -> None:
    jobs = [
        job("1", BASE, t=0.0),
        job("2", "prep", t=5.0),
        job("3", f"{BASE}-judge-rs0", t=10.0, deps=(("afterok", "2"),)),
    ]
    group = by_root(group_runs(jobs, SUFFIXES))
    assert group["1"].parents["3"] == ("2",)  # same run key joins them; the edge stays the recorded one


def test_dependencies_outside_the_input_are_ignored() -> None:
    [group] = group_runs([job("5", deps=(("afterok", "4"),))], SUFFIXES)
    assert (group.root_job_id, dict(group.parents), dict(group.depth)) == ("5", {"5": ()}, {"5": 0})


def test_dependency_links_jobs_with_different_names() -> None:
    jobs = [job("1", "prep", t=0.0), job("2", "train", t=9999.0, deps=(("afterok", "1"),))]
    [group] = group_runs(jobs, SUFFIXES)
    assert (group.label, group.job_ids) == ("prep", ("1", "2"))


def test_array_dependency_points_at_every_task() -> None:
    jobs = [
        job("13_1", "arr", t=0.0),
        job("13_2", "arr", t=0.0),
        job("14", "post", t=1.0, deps=(("afterok", "13"),)),
        job("15", "post2", t=1.0, deps=(("afterany", "13_*"),)),
    ]
    [group] = group_runs(jobs, SUFFIXES)
    assert group.parents["14"] == ("13_1", "13_2")
    assert group.parents["15"] == ("13_1", "13_2")
    assert group.job_ids[:2] == ("13_1", "13_2")


def test_dependency_cycle_does_not_hang() -> None:
    jobs = [
        job("1", "a", "RUNNING", None, deps=(("afterok", "2"),)),
        job("2", "b", "RUNNING", None, deps=(("afterok", "1"),)),
        job("3", "c", "PENDING", None, deps=(("afterok", "2"),)),
    ]
    [group] = group_runs(jobs, SUFFIXES)
    assert group.job_ids == ("1", "2", "3")
    assert group.root_job_id == "1"
    assert dict(group.depth) == {"1": 0, "2": 1, "3": 2}


def test_clusters_never_mix() -> None:
    jobs = [job("1", cluster="alpha"), job("1", cluster="beta"), job("2", cluster="beta", deps=(("afterok", "1"),))]
    groups = group_runs(jobs, SUFFIXES)
    assert sorted((g.cluster, g.job_ids) for g in groups) == [("alpha", ("1",)), ("beta", ("1", "2"))]
    assert sorted(g.run_id for g in groups) == ["alpha:1", "beta:1"]


def test_siblings_ordered_by_state_then_numeric_id() -> None:
    jobs = [
        job("1", t=0.0, state="COMPLETED"),
        job("10", t=1.0, state="PENDING", deps=(("afterok", "1"),)),
        job("9", t=1.0, state="PENDING", deps=(("afterok", "1"),)),
        job("11", t=1.0, state="RUNNING", deps=(("afterok", "1"),)),
    ]
    [group] = group_runs(jobs, SUFFIXES)
    assert group.job_ids == ("1", "11", "9", "10")


def test_duplicates_and_empty_input() -> None:
    assert group_runs([], SUFFIXES) == []
    [group] = group_runs([job("1"), job("1")], SUFFIXES)
    assert group.job_ids == ("1",)


@pytest.mark.parametrize(
    ("job_id", "key"),
    [
        ("9", (9, -1, 0, "9")),
        ("13_2", (13, 2, 0, "13_2")),
        ("123+1", (123, 1, 0, "123+1")),
        ("13_[3-4%2]", (13, -1, 1, "13_[3-4%2]")),
    ],
)
def test_job_id_sort_key(job_id: str, key: tuple[int, int, int, str]) -> None:
    assert job_id_sort_key(job_id) == key


def test_job_id_sort_key_puts_unparseable_last() -> None:
    assert sorted(["x", "10", "9", "13_2", "13_10"], key=job_id_sort_key) == ["9", "10", "13_2", "13_10", "x"]


def test_topological_order_and_depths() -> None:
    parents = {"c": ["a", "b"], "b": ["a"], "d": ["zz-not-in-input"]}
    order = topological_order(["c", "b", "a", "d"], parents, lambda j: j)
    assert order == ["a", "b", "c", "d"]
    assert chain_depths(order, parents) == {"a": 0, "b": 1, "c": 2, "d": 0}


def test_topological_order_cycle_leftovers_in_tie_order() -> None:
    parents = {"a": ["c"], "b": ["a"], "c": ["b"], "d": []}
    assert topological_order(["c", "b", "a", "d", "a"], parents, lambda j: j) == ["d", "a", "b", "c"]


graphs = st.lists(st.integers(0, 30).map(str), unique=True, max_size=25).flatmap(
    lambda ids: st.tuples(
        st.just(ids),
        st.dictionaries(st.sampled_from(ids), st.lists(st.sampled_from(ids), max_size=4), max_size=len(ids))
        if ids
        else st.just({}),
    )
)


@settings(max_examples=300, deadline=None)
@given(graphs)
def test_topological_order_is_a_permutation(graph: tuple[list[str], dict[str, list[str]]]) -> None:
    ids, parents = graph
    order = topological_order(ids, parents, job_id_sort_key)
    assert sorted(order) == sorted(ids)
    depths = chain_depths(order, parents)
    assert set(depths) == set(ids) and all(0 <= d < max(len(ids), 1) for d in depths.values())
    # Outside cycles, every parent comes before its child.
    position = {j: i for i, j in enumerate(order)}
    acyclic = {j for j in ids if not _on_cycle(j, parents)}
    for child in acyclic:
        for parent in parents.get(child, []):
            if parent in acyclic and parent != child and not _reaches_cycle(child, parents):
                assert position[parent] < position[child]


def _reach(start: str, parents: dict[str, list[str]]) -> set[str]:
    seen: set[str] = set()
    stack = list(parents.get(start, []))
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.add(node)
            stack.extend(parents.get(node, []))
    return seen


def _on_cycle(node: str, parents: dict[str, list[str]]) -> bool:
    return node in _reach(node, parents)


def _reaches_cycle(node: str, parents: dict[str, list[str]]) -> bool:
    return any(_on_cycle(a, parents) for a in _reach(node, parents) | {node})


P_DONE = RunJob("alpha", "1", "train", "COMPLETED")
P_RUN = RunJob("alpha", "2", "train", "RUNNING")
P_OTHER = RunJob("alpha", "3", "prep", "RUNNING")
LISTED = {j.job_id: j for j in (P_DONE, P_RUN, P_OTHER)}


@pytest.mark.parametrize(
    ("state", "reason", "deps", "expected"),
    [
        ("PENDING", "Dependency", (("afternotok", "2"),), "backup"),
        ("PENDING", "Dependency", (("afternotok", "99"),), "backup"),  # parent not listed: still a backup
        ("PENDING", "Dependency", (("afterany", "2"),), "backup"),  # same name
        ("PENDING", "Dependency", (("afterany", "3"),), "dependent"),  # different name
        ("PENDING", "Dependency", (("afterany", "99"),), "dependent"),  # unknown name: not provably a backup
        ("PENDING", "Dependency", (("afterok", "2"),), "dependent"),
        ("PENDING", "Dependency", (("afternotok", "2"), ("afterok", "3")), "dependent"),
        ("PENDING", "DependencyNeverSatisfied", (("afternotok", "1"),), "backup"),
        ("PENDING", "Priority", (("afterok", "3"),), "dependent"),  # listed parent
        ("PENDING", "Priority", (), None),
        ("PENDING", "Dependency", (), "dependent"),
        ("DEPENDENT", "", (), "dependent"),
        ("RUNNING", "None", (("afterok", "1"),), None),
        ("FAILED", "", (("afterany", "1"),), "unneeded_backup"),
        ("FAILED", "", (("afternotok", "1"),), "unneeded_backup"),
        ("FAILED", "", (("afterok", "1"),), None),
        ("FAILED", "", (("afterany", "2"),), None),  # parent not done
        ("CANCELLED", "", (("afternotok", "1"),), "unneeded_backup"),
        ("CANCELLED by 1001", "", (("afterany", "1"),), None),
        ("COMPLETED", "", (("afternotok", "1"),), None),
    ],
)
def test_classify_waiting(state: str, reason: str, deps: tuple[tuple[str, str], ...], expected: str | None) -> None:
    subject = RunJob("alpha", "50", "train", state, dependencies=deps, reason=reason)
    assert classify_waiting(subject, LISTED) == expected

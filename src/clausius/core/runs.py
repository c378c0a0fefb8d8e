"""Grouping jobs into runs and ordering each run as a dependency DAG.

A run is a connected set of jobs on one cluster: Slurm dependency edges, name-inferred
parents (judge/summarize stages), the same run key submitted close together in time, and
jobs already recorded under the same run id all connect jobs.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from clausius.core.job_states import base_state, state_rank
from clausius.core.naming import StageSuffixes, inferred_parent_candidates, run_key

if TYPE_CHECKING:
    from _typeshed import SupportsRichComparison

DEFAULT_GAP_SEC = 300.0
WaitingKind = Literal["dependent", "backup", "unneeded_backup"]
_BACKUP_TYPES = frozenset({"afterany", "afternotok"})

JobKey = tuple[str, str]  # (cluster, job_id)


@dataclass(frozen=True, slots=True)
class RunJob:
    cluster: str
    job_id: str
    name: str
    state: str
    submit_time: float | None = None
    start_time: float | None = None
    end_time: float | None = None
    dependencies: tuple[tuple[str, str], ...] = ()  # (type, job_id), e.g. ("afterok", "12")
    known_run_id: str | None = None
    reason: str = ""

    @property
    def first_time(self) -> float | None:
        """First available of submit/start/end time: the moment a job is placed at."""
        for value in (self.submit_time, self.start_time, self.end_time):
            if value is not None:
                return value
        return None


@dataclass(frozen=True, slots=True)
class RunGroup:
    run_id: str
    cluster: str
    label: str
    root_job_id: str
    job_ids: tuple[str, ...]  # topological order
    depth: Mapping[str, int]  # longest chain of in-group parents above each job
    parents: Mapping[str, tuple[str, ...]]  # in-group parents of each job


def job_id_sort_key(job_id: str) -> tuple[int, int, int, str]:
    """Numeric order for `123`, `13_1`, `123+0`; anything unparseable sorts last by text."""
    base, _, rest = job_id.partition("_")
    if not rest:
        base, _, rest = job_id.partition("+")
    if not base.isdigit():
        return (1 << 62, 0, 0, job_id)
    tail = int(rest) if rest.isdigit() else -1
    return (int(base), tail, 0 if rest.isdigit() or not rest else 1, job_id)


def topological_order(
    job_ids: Iterable[str],
    parents: Mapping[str, Collection[str]],
    tie_key: Callable[[str], SupportsRichComparison],
) -> list[str]:
    """Kahn's algorithm; among ready jobs the smallest `tie_key` goes first. Parents outside
    `job_ids` are ignored. Jobs caught in a cycle (or below one) are appended in tie order,
    so the result is always a permutation of the (de-duplicated) input."""
    ids = list(dict.fromkeys(job_ids))
    members = set(ids)
    position = {job: i for i, job in enumerate(ids)}
    waiting: dict[str, int] = {}
    children: dict[str, list[str]] = {job: [] for job in ids}
    for job in ids:
        own = {p for p in parents.get(job, ()) if p in members and p != job}
        waiting[job] = len(own)
        for parent in own:
            children[parent].append(job)
    ready = [(tie_key(job), position[job], job) for job in ids if waiting[job] == 0]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        _, _, job = heapq.heappop(ready)
        order.append(job)
        for child in children[job]:
            waiting[child] -= 1
            if waiting[child] == 0:
                heapq.heappush(ready, (tie_key(child), position[child], child))
    if len(order) < len(ids):
        placed = set(order)
        leftovers = [job for job in ids if job not in placed]
        order.extend(sorted(leftovers, key=lambda j: (tie_key(j), position[j])))
    return order


def chain_depths(order: Sequence[str], parents: Mapping[str, Collection[str]]) -> dict[str, int]:
    """Longest parent chain per job, following `order`; parents placed later (cycles) are ignored."""
    depth: dict[str, int] = {}
    for job in order:
        above = [depth[p] for p in parents.get(job, ()) if p in depth]
        depth[job] = max(above) + 1 if above else 0
    return depth


class _UnionFind:
    def __init__(self, keys: Iterable[JobKey]) -> None:
        self._parent = {key: key for key in keys}

    def find(self, key: JobKey) -> JobKey:
        root = key
        while self._parent[root] != root:
            root = self._parent[root]
        while self._parent[key] != root:  # path compression
            self._parent[key], key = root, self._parent[key]
        return root

    def union(self, a: JobKey, b: JobKey) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self._parent[max(ra, rb)] = min(ra, rb)


def _dependency_targets(
    dep_id: str, cluster: str, by_key: Mapping[JobKey, RunJob], by_base: Mapping[JobKey, list[str]]
) -> list[str]:
    """Job ids a dependency points at: the exact id, else every task/component of an array
    or heterogeneous job (`afterok:13` and `afterok:13_*` wait for all of 13's tasks)."""
    if (cluster, dep_id) in by_key:
        return [dep_id]
    base = dep_id.removesuffix("_*")
    if (cluster, base) in by_key:
        return [base]
    return list(by_base.get((cluster, base), ()))


def _explicit_parents(jobs: Mapping[JobKey, RunJob]) -> dict[JobKey, list[str]]:
    by_base: dict[JobKey, list[str]] = {}
    for cluster, job_id in jobs:
        for sep in ("_", "+"):
            head, found, _ = job_id.partition(sep)
            if found and head:
                by_base.setdefault((cluster, head), []).append(job_id)
                break
    result: dict[JobKey, list[str]] = {}
    for key, job in jobs.items():
        targets: list[str] = []
        for _, dep_id in job.dependencies:
            targets.extend(t for t in _dependency_targets(dep_id, key[0], jobs, by_base) if t != key[1])
        result[key] = list(dict.fromkeys(targets))
    return result


def _norm_name(name: str) -> str:
    return name.strip().lower().replace("_", "-")


def _pick_nearest(candidates: Sequence[RunJob], when: float | None) -> RunJob:
    """The candidate placed last at or before `when`, else the closest in time; untimed ones last."""
    timed = [(c.first_time, c) for c in candidates if c.first_time is not None]
    if not timed:
        return candidates[-1]
    if when is None:
        return max(timed, key=lambda pair: pair[0])[1]
    before = [(t, c) for t, c in timed if t <= when]
    if before:
        return max(before, key=lambda pair: pair[0])[1]
    return min(timed, key=lambda pair: abs(pair[0] - when))[1]


def _inferred_parent(job: RunJob, names: Mapping[tuple[str, str], list[RunJob]], suffixes: StageSuffixes) -> str | None:
    for candidate in inferred_parent_candidates(job.name, suffixes):
        found = [c for c in names.get((job.cluster, _norm_name(candidate)), []) if c.job_id != job.job_id]
        if found:
            return _pick_nearest(found, job.first_time).job_id
    return None


def _time_buckets(jobs: list[RunJob], gap_sec: float) -> list[list[RunJob]]:
    """Cut same-key jobs into buckets wherever consecutive times are more than `gap_sec` apart."""
    timed = sorted(
        ((j.first_time, j) for j in jobs if j.first_time is not None),
        key=lambda pair: (pair[0], job_id_sort_key(pair[1].job_id)),
    )
    buckets: list[list[RunJob]] = []
    last: float | None = None
    for t, job in timed:
        if last is None or t - last > gap_sec:
            buckets.append([])
        buckets[-1].append(job)
        last = t
    untimed = [j for j in jobs if j.first_time is None]
    if untimed:
        if not buckets:
            buckets.append([])
        buckets[-1].extend(untimed)
    return buckets


def _tie_key(jobs: Mapping[str, RunJob]) -> Callable[[str], tuple[int, tuple[int, int, int, str]]]:
    def key(job_id: str) -> tuple[int, tuple[int, int, int, str]]:
        return (state_rank(jobs[job_id].state), job_id_sort_key(job_id))

    return key


def _choose_run_id(members: Sequence[RunJob], root: RunJob) -> str:
    if root.known_run_id:
        return root.known_run_id
    counts = Counter(j.known_run_id for j in members if j.known_run_id)
    if counts:
        best = max(counts.values())
        return min(run_id for run_id, n in counts.items() if n == best)
    return f"{root.cluster}:{root.job_id}"


def group_runs(jobs: Sequence[RunJob], suffixes: StageSuffixes, gap_sec: float = DEFAULT_GAP_SEC) -> list[RunGroup]:
    """Group jobs into runs (see module doc). Newest runs first, then larger, then by id."""
    by_key: dict[JobKey, RunJob] = {}
    for job in jobs:
        by_key.setdefault((job.cluster, job.job_id), job)
    if not by_key:
        return []
    uf = _UnionFind(by_key)
    parents = _explicit_parents(by_key)
    names: dict[tuple[str, str], list[RunJob]] = {}
    for job in by_key.values():
        names.setdefault((job.cluster, _norm_name(job.name)), []).append(job)
    for key, job in by_key.items():
        if not job.dependencies:  # the recorded dependency, when there is one, is the truth
            inferred = _inferred_parent(job, names, suffixes)
            if inferred is not None:
                parents[key] = [inferred]
        for parent in parents[key]:
            uf.union(key, (key[0], parent))

    by_run_key: dict[tuple[str, str], list[RunJob]] = {}
    by_run_id: dict[tuple[str, str], JobKey] = {}
    for key, job in by_key.items():
        by_run_key.setdefault((job.cluster, run_key(job.name, suffixes)), []).append(job)
        if job.known_run_id:
            # Jobs already recorded under one run stay together (bucket splits must not undo it).
            first = by_run_id.setdefault((job.cluster, job.known_run_id), key)
            uf.union(first, key)
    for same_key in by_run_key.values():
        for bucket in _time_buckets(same_key, gap_sec):
            for job in bucket[1:]:
                uf.union((bucket[0].cluster, bucket[0].job_id), (job.cluster, job.job_id))

    components: dict[JobKey, list[RunJob]] = {}
    for key, job in by_key.items():
        components.setdefault(uf.find(key), []).append(job)
    ranked = [(_newest_time(members), _build_group(members, parents, suffixes)) for members in components.values()]
    ranked.sort(key=lambda item: (-item[0], -len(item[1].job_ids), item[1].run_id))
    return [group for _, group in ranked]


def _newest_time(members: Iterable[RunJob]) -> float:
    times = [t for j in members for t in (j.submit_time, j.start_time) if t is not None]
    return max(times) if times else float("-inf")


def _build_group(members: list[RunJob], all_parents: Mapping[JobKey, list[str]], suffixes: StageSuffixes) -> RunGroup:
    cluster = members[0].cluster
    by_id = {j.job_id: j for j in members}
    parents = {jid: tuple(p for p in all_parents.get((cluster, jid), ()) if p in by_id) for jid in by_id}
    order = topological_order(by_id, parents, _tie_key(by_id))
    root = by_id[next((jid for jid in order if not parents[jid]), order[0])]
    return RunGroup(
        run_id=_choose_run_id(members, root),
        cluster=cluster,
        label=run_key(root.name, suffixes),
        root_job_id=root.job_id,
        job_ids=tuple(order),
        depth=chain_depths(order, parents),
        parents=parents,
    )


def classify_waiting(job: RunJob, parents_by_id: Mapping[str, RunJob]) -> WaitingKind | None:
    """Checkpoint-restart chains: what a waiting (or skipped) job is, given the listed jobs.

    - unneeded_backup: FAILED with an afterany/afternotok dependency on a COMPLETED parent
      (the backup ran or was cancelled for nothing); also CANCELLED when all its dependencies
      are afternotok on COMPLETED parents (Slurm's kill_invalid_depend cancelling it).
    - backup: pending, and every dependency is afternotok, or afterany on a same-named parent.
    - dependent: pending on a dependency (by reason/state) or with a listed parent.
    `parents_by_id` maps job ids (of the job's cluster) to listed jobs.
    """
    state = base_state(job.state)
    parents = [(dep_type.lower(), parents_by_id.get(dep_id)) for dep_type, dep_id in job.dependencies]
    if state == "FAILED":
        if any(t in _BACKUP_TYPES and p is not None and base_state(p.state) == "COMPLETED" for t, p in parents):
            return "unneeded_backup"
        return None
    if state == "CANCELLED":
        if parents and all(
            t == "afternotok" and p is not None and base_state(p.state) == "COMPLETED" for t, p in parents
        ):
            return "unneeded_backup"
        return None
    reason = job.reason.lower()
    if state not in ("PENDING", "DEPENDENT", "BACKUP") and "depend" not in reason:
        return None
    if parents and all(
        t == "afternotok" or (t == "afterany" and p is not None and p.name == job.name) for t, p in parents
    ):
        return "backup"
    if state == "DEPENDENT" or "depend" in reason or any(p is not None for _, p in parents):
        return "dependent"
    return None

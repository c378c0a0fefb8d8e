"""Which `scontrol show job` calls one log inspection makes for the jobs it needs paths of."""

from __future__ import annotations

from clausius.services.inspection import MAX_PATH_LOOKUPS, WHOLE_ARRAY_FROM, plan_path_queries


def test_plain_jobs_are_asked_one_by_one_in_order() -> None:
    queries, answered = plan_path_queries(["7", "5", "9+0"])
    assert queries == ["7", "5", "9+0"]
    assert answered == {"7", "5", "9+0"}


def test_many_tasks_of_one_array_cost_one_call_for_the_array() -> None:
    tasks = [f"40_{n}" for n in range(1, 61)]
    queries, answered = plan_path_queries(["3", *tasks, "4"])
    assert queries == ["3", "40", "4"]
    assert answered == {"3", "4", *tasks}


def test_a_few_tasks_of_a_big_array_are_asked_task_by_task() -> None:
    few = [f"40_{n}" for n in range(1, WHOLE_ARRAY_FROM)]  # one short of the threshold
    queries, answered = plan_path_queries(few)
    assert queries == few and answered == set(few)


def test_the_cap_leaves_the_rest_for_a_later_inspection() -> None:
    ids = [str(n) for n in range(100, 100 + MAX_PATH_LOOKUPS + 10)]
    queries, answered = plan_path_queries([*ids, *(f"9_{n}" for n in range(10))])
    assert queries == ids[:MAX_PATH_LOOKUPS]
    assert answered == set(ids[:MAX_PATH_LOOKUPS])  # neither the later plain jobs nor the array were asked


def test_pending_array_remainders_and_repeats_are_not_grouped_twice() -> None:
    queries, answered = plan_path_queries(["8_[3-9]", "8_1", "8_1"])
    assert queries == ["8_[3-9]", "8_1"]
    assert answered == {"8_[3-9]", "8_1"}

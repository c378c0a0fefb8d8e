"""The one GPU-count rule (core/gpus.py)."""

from __future__ import annotations

from clausius.core.gpus import UNKNOWN, job_gpus, keep_known


def test_tres_first_then_per_node_times_nodes() -> None:
    assert job_gpus(allocated=(4, "h100"), per_node=(2, None), nodes=2) == (4, "h100")
    assert job_gpus(per_node=(3, None), nodes=2) == (6, None)
    assert job_gpus(allocated=(0, None), per_node=(2, "h100"), nodes=1) == (2, "h100")  # TRES without GPUs
    assert job_gpus(allocated=UNKNOWN, requested=(2, "a100")) == (2, "a100")


def test_unknown_is_never_zero_and_zero_is_known() -> None:
    assert job_gpus() == UNKNOWN
    assert job_gpus(allocated=(0, None)) == (0, None)
    assert keep_known(4, None) == 4
    assert keep_known(4, 0) == 0
    assert keep_known(None, 2) == 2

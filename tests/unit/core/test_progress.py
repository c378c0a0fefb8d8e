"""Progress scraping (reference §8.5), including the original's false readings."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clausius.core.progress import WINDOW, ProgressReading, progress

TQDM_0 = "Generating:   0%|          | 0/512 [00:00<?, ?it/s]"
TQDM_45 = "Generating:  45%|████▌     | 230/512 [01:02<01:16,  3.69it/s]"
VLLM_STATS = (
    "INFO 11-25 03:14:22 metrics.py:351] Avg prompt throughput: 0.0 tokens/s, Avg generation throughput: 812.4 "
    "tokens/s, Running: 64 reqs, Swapped: 0 reqs, Pending: 0 reqs, GPU KV cache usage: 0.0%, CPU KV cache usage: 0.0%."
)


@pytest.mark.parametrize(
    ("log", "percent", "line"),
    [
        # On a tqdm line the counter comes last and is the more precise reading.
        (TQDM_45, 230 / 512 * 100, TQDM_45),
        # Regression #16: 0 % is a reading, not "no progress".
        (TQDM_0, 0.0, TQDM_0),
        ("100%|██████████| 512/512 [02:20<00:00]", 100.0, "100%|██████████| 512/512 [02:20<00:00]"),
        ("eval 7%", 7.0, "eval 7%"),
        ("eval 7% done", 7.0, "eval 7% done"),
        # tqdm rewrites its line with carriage returns: the last update wins.
        (f"{TQDM_0}\r{TQDM_45}\r", 230 / 512 * 100, TQDM_45),
        # The last reading in the text wins, whatever its kind.
        (f"{TQDM_45}\nStep 480/500 loss=0.12", 96.0, "Step 480/500 loss=0.12"),
        (f"Step 480/500\n{TQDM_0}", 0.0, TQDM_0),
        ("Step 120/500", 24.0, "Step 120/500"),
        ("global_step=7/70", 10.0, "global_step=7/70"),
        ("Epoch 3/10: training", 30.0, "Epoch 3/10: training"),
        ("epoch: [3/12]", 25.0, "epoch: [3/12]"),
        ("iteration 5 / 100", 5.0, "iteration 5 / 100"),
        ("[ 42/128] eval batch", 32.8125, "[ 42/128] eval batch"),
        ("processed  12/100 [00:01<00:09]", 12.0, "processed  12/100 [00:01<00:09]"),
        ("step 0/100", 0.0, "step 0/100"),
        ("step:3/10", 30.0, "step:3/10"),
        ("Epoch 2/4.", 50.0, "Epoch 2/4."),
        ("tokens 87% |", 87.0, "tokens 87% |"),
        (f"{TQDM_45}\n{VLLM_STATS}", 230 / 512 * 100, TQDM_45),  # later vLLM stats do not overwrite it
    ],
)
def test_progress_readings(log: str, percent: float, line: str) -> None:
    assert progress(log) == ProgressReading(percent, line)


@pytest.mark.parametrize(
    "log",
    [
        "",
        "no numbers at all",
        VLLM_STATS,  # regression #17: `0.0%` is not `0%`
        "GPU util 12.5%",
        "loaded 100.0%",
        "150% of baseline",  # above 100 %
        "1000% faster",
        "2026/11/25 03:14:22 starting",  # dates
        "[2026/11/25] starting",
        "route 10.0.0.0/24 added",  # IP prefixes
        "reading /data/run/3/10/file",  # paths
        "loss 1/2",  # a fraction, not a counter
        "torch 2.4/3 build",
        "Step 120/0",  # M = 0
        "Step 600/500",  # ratio above 100 %
        "12/0 [00:00]",
        "epoch 3/10/2026",
        "step 1/2.5",
        "50%off",
    ],
)
def test_no_false_readings(log: str) -> None:
    assert progress(log) is None


def test_only_the_last_64_kib_is_read() -> None:
    assert progress("Step 1/2\n" + "x" * WINDOW) is None
    assert progress("x" * (WINDOW * 2) + "\nStep 1/2") == ProgressReading(50.0, "Step 1/2")


def test_source_line_is_clipped() -> None:
    reading = progress("Step 1/4 " + "y" * 500)
    assert reading is not None and len(reading.source_line) == 200


@settings(max_examples=400, deadline=None)
@given(
    st.one_of(
        st.text(),
        st.lists(st.sampled_from([*"0123456789/%|[] .\n\r", "Step ", "epoch", "it/s]", "100"])).map("".join),
    )
)
def test_progress_never_raises_and_stays_in_range(text: str) -> None:
    reading = progress(text)
    assert reading is None or 0.0 <= reading.percent <= 100.0

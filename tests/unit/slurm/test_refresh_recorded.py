"""The refresh script as really run through the lab's sshd (`ssh … 'bash -l -s'`)."""

from __future__ import annotations

import re

import pytest

from clausius.slurm.refresh import parse_refresh

from .recorded import jid, load, names


def refresh(name: str):  # type: ignore[no-untyped-def]
    rec = load("refresh", name)
    return rec, parse_refresh(rec.out, rec.err, rec.meta["nonce"])


@pytest.mark.parametrize("name", names("refresh"))
def test_every_recorded_run_parses_cleanly(name: str) -> None:
    rec, result = refresh(name)
    assert rec.meta["argv"][-1].endswith("bash -l -s")
    assert result.errors == {}
    assert all(s.ok for s in result.sections.values())
    assert result.clock is not None and abs(result.clock.epoch - rec.epoch) < 10
    assert result.squeue_jobs is not None and result.sacct_jobs is not None


def test_initial_run_contents() -> None:
    _, result = refresh("alpha-alice-initial")
    assert result.clock is not None and result.clock.utc_offset_sec == 0
    squeue = {j.job_id: j for j in result.squeue_jobs or ()}
    assert squeue[jid("needs-long")].reason == "Dependency"
    assert squeue[f"{jid('array-job')}_[3-4%2]"].reason == "JobArrayTaskLimit"
    sacct = {j.job_id: j for j in result.sacct_jobs or ()}
    assert (sacct[jid("fail-exit3")].state, sacct[jid("fail-exit3")].exit_code) == ("FAILED", 3)
    assert result.noise == ""  # the lab's login shell prints nothing; see the synthetic tests for banners


def test_offset_reported_in_the_same_output_is_used() -> None:
    """The same jobs seen through a UTC and a Europe/Berlin login shell convert to the same UTC epochs."""
    _, utc = refresh("alpha-alice-later")
    _, berlin = refresh("alpha-alice-later-berlin")
    assert utc.clock is not None and berlin.clock is not None
    assert (utc.clock.utc_offset_sec, berlin.clock.utc_offset_sec) == (0, 3600)

    # The raw text really is local time: the same job's submit time reads one hour later in Berlin.
    def first_hour(name: str) -> int:
        section = load("refresh", name).out.split("begin:squeue")[1].split("end:squeue")[0]
        match = re.search(r"\d{4}-\d\d-\d\dT(\d\d):", section)
        assert match, section[:200]
        return int(match.group(1))

    assert (first_hour("alpha-alice-later-berlin") - first_hour("alpha-alice-later")) % 24 == 1
    for attr in ("squeue_jobs", "sacct_jobs"):
        a = {j.job_id: j for j in getattr(utc, attr)}
        b = {j.job_id: j for j in getattr(berlin, attr)}
        common = [k for k in a if k in b and a[k].state == b[k].state]
        assert len(common) >= 5
        for key in common:
            assert a[key].submit_time == b[key].submit_time
            assert a[key].start_time == b[key].start_time


def test_later_run_sees_finished_jobs_and_the_cancellation() -> None:
    _, result = refresh("alpha-alice-later")
    sacct = {j.job_id: j for j in result.sacct_jobs or ()}
    assert sacct[jid("timeout-job")].state == "TIMEOUT"
    assert sacct[jid("pending-cancel")].state_detail == "CANCELLED by 1001"
    # The window shows the requeued run's record (REQUEUED is not final); its new pending
    # record is not eligible yet (BeginTime), so only squeue shows it — and `sacct -j` both.
    assert (sacct[jid("fixture-requeue")].state, sacct[jid("fixture-requeue")].restarts) == ("REQUEUED", 0)
    squeue = {j.job_id: j for j in result.squeue_jobs or ()}
    assert (squeue[jid("fixture-requeue")].state, squeue[jid("fixture-requeue")].reason) == ("PENDING", "BeginTime")
    # jobs cancelled while waiting on a dependency are in the window thanks to the explicit state list
    assert sacct[jid("pending-cancel")].start_time is None


def test_window_start_was_rendered_remotely() -> None:
    rec = load("refresh", "alpha-alice-later-berlin")
    assert f"date -d @{int(rec.meta['since_epoch'])} " in rec.meta["script"]
    # the hint (+01:00) and the remote zone agree here, so the fallback equals what date -d printed
    _, result = refresh("alpha-alice-later-berlin")
    assert result.sacct_jobs


def test_beta_run() -> None:
    _, result = refresh("beta-bob-later")
    names_ = {j.name for j in result.squeue_jobs or ()}
    assert {"beta-gpu", "beta-bio-big"} <= names_

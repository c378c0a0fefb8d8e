"""The board in a real browser against the lab: live updates, cancel from the UI, an unreachable cluster."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import ARTIFACTS, Served, log_in
from tests.labkit import Lab

pytestmark = [pytest.mark.lab, pytest.mark.e2e]


def _row(page: Page, cluster: str, job_id: str):  # type: ignore[no-untyped-def]
    return page.locator(f'tr.job[data-job="{cluster}:{job_id}"]')


def test_submitted_job_appears_live_and_is_cancelled_from_the_ui(page: Page, served: Served, lab: Lab) -> None:
    log_in(page, served)
    expect(page.locator('section[data-cluster="alpha"]')).to_be_visible(timeout=30_000)
    expect(page.locator('section[data-cluster="beta"]')).to_be_visible()
    expect(page.locator('section[data-cluster="alpha"] .status-badge')).to_have_text("live", timeout=30_000)

    submitted = lab.slurm(
        "alpha",
        "sbatch",
        "--parsable",
        "-D",
        "/home/alice/jobs",
        "-J",
        "e2e_ui_cancel-me",
        "-t",
        "10",
        "--wrap",
        "sleep 900",
    )
    assert submitted.returncode == 0, submitted.stderr
    job_id = submitted.stdout.strip()
    row = _row(page, "alpha", job_id)
    expect(row).to_be_visible(timeout=30_000)  # arrives over SSE: the page is never reloaded
    page.screenshot(path=str(ARTIFACTS / "board-with-submitted-job.png"), full_page=True)

    page.once("dialog", lambda dialog: dialog.accept())
    row.locator('button[data-action="cancel"]').click()
    expect(row.locator(".state")).to_contain_text("CANCELLED", timeout=30_000)
    expect(row.locator('button[data-action="dismiss"]')).to_be_visible()
    state = lab.slurm("alpha", "sacct", "-X", "-n", "-P", "-o", "State", "-j", job_id).stdout
    assert state.startswith("CANCELLED")


def test_a_dead_login_node_turns_its_cluster_unreachable_while_the_other_updates(
    page: Page, served: Served, lab: Lab
) -> None:
    log_in(page, served)
    expect(page.locator('section[data-cluster="beta"] .status-badge')).to_have_text("live", timeout=30_000)
    try:
        lab.crash_login_node("alpha")
        expect(page.locator('section[data-cluster="alpha"] .status-badge')).to_have_text("unreachable", timeout=60_000)
        expect(page.locator('section[data-cluster="alpha"] .cluster-error')).to_contain_text("alpha")
        submitted = lab.slurm(
            "beta",
            "sbatch",
            "--parsable",
            "-D",
            "/home/alice/jobs",
            "-J",
            "e2e_beta_still-live",
            "-t",
            "10",
            "--wrap",
            "sleep 300",
        )
        job_id = submitted.stdout.strip()
        expect(_row(page, "beta", job_id)).to_be_visible(timeout=30_000)  # beta keeps updating
        expect(page.locator('section[data-cluster="beta"] .status-badge')).to_have_text("live")
        page.screenshot(path=str(ARTIFACTS / "board-alpha-unreachable.png"), full_page=True)
        lab.slurm("beta", "scancel", job_id)
    finally:
        lab.ssh_up("alpha")
    expect(page.locator('section[data-cluster="alpha"] .status-badge')).to_have_text("live", timeout=90_000)
    time.sleep(0.1)

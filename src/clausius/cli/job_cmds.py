"""Job queries in the terminal: `wait`, `run-info`, `status`, `run-script`."""

from __future__ import annotations

import sys
from typing import Any, TextIO

import click

from clausius.bootstrap import load_bootstrap
from clausius.cli.common import console, json_option, ok, print_json, print_table, run
from clausius.cli.service_client import get_json, running_service
from clausius.services.app import ClusterHealth
from clausius.services.scripts import MAX_SCRIPT_BYTES


@click.command("wait")
@click.argument("cluster")
@click.argument("job_id")
@click.option("--state", "states", multiple=True, help="Wait for this state or group (default: any finished state).")
@click.option("--timeout", type=click.IntRange(0, 3600), default=300, show_default=True, help="Seconds.")
@json_option
def wait(cluster: str, job_id: str, states: tuple[str, ...], timeout: int, as_json: bool) -> None:
    """Wait until a job finishes (or reaches --state); exit 0 when reached, 3 on timeout."""
    result = run(lambda s: s.jobs.wait_for_job(cluster, job_id, states=states, timeout=timeout))
    if as_json:
        print_json(result)
    else:
        verb = "reached" if result.reached else "still"
        job = result.job
        detail = (job.crash or job.reason) if job else None
        why = f" ({detail})" if detail else ""
        ok(f"{cluster} {job_id}: {verb} {result.state}{why} after {result.waited_sec:.0f} s")
    if not result.reached:
        sys.exit(3)


@click.command("run-info")
@click.argument("cluster")
@click.argument("job_id")
@json_option
def run_info(cluster: str, job_id: str, as_json: bool) -> None:
    """The run (dependency chain / stage group) a job belongs to."""
    info = run(lambda s: s.jobs.run_info(cluster, job_id))
    if as_json:
        print_json(info)
        return
    ok(f"run {info.label} ({info.project or 'no project'}, from {info.source})")
    print_table(
        "",
        ["job", "name", "state", "after", "reason / crash"],
        [[j.job_id, j.name, j.state, j.depends_on, j.crash or j.reason] for j in info.jobs],
        empty="no jobs",
    )


@click.command("status")
@click.argument("cluster", required=False)
@click.option("--check", is_flag=True, help="Also run one command on each cluster now.")
@json_option
def status(cluster: str | None, check: bool, as_json: bool) -> None:
    """How each cluster looks: live / stale / unreachable, last error, job counts, SSH counters.

    Asks the running service (what its agents know); without one, this process looks itself."""
    service = running_service(load_bootstrap().data_dir)
    if service is not None:
        params: dict[str, Any] = {"check": check} | ({"cluster": cluster} if cluster else {})
        answer = get_json(service, "/api/cluster-status", params)
        found = [ClusterHealth.model_validate(item) for item in answer]
        source = f"as the service at {service.url} sees them"
    else:
        found = run(lambda s: s.cluster_status(cluster, check=check))
        source = "no service is running: looked just now from this process"
    if as_json:
        print_json(found)
        return
    rows = [
        [
            c.cluster,
            c.state,
            c.error,
            f"{c.counts.running} running, {c.counts.pending} pending, {c.counts.failed} failed",
            (("ok " if c.ping.ok else "FAILED ") + f"{c.ping.seconds:.2f}s") if c.ping else None,
        ]
        for c in found
    ]
    print_table(f"Clusters ({source})", ["cluster", "state", "error", "jobs", "check"], rows, empty="no clusters")


@click.command("run-script")
@click.argument("cluster")
@click.argument("script_file", type=click.File("r", encoding="utf-8"))
@click.option("--python", "python", is_flag=True, help="Run with python3 instead of bash.")
@click.option("--timeout", type=click.IntRange(1, 600), default=60, show_default=True, help="Seconds.")
@json_option
def run_script(cluster: str, script_file: TextIO, python: bool, timeout: int, as_json: bool) -> None:
    """Run a short script (a file, or - for stdin) on the cluster's login node. Needs allow_run_script."""
    text = script_file.read(MAX_SCRIPT_BYTES + 1)
    result = run(
        lambda s: s.scripts.run_script(cluster, text, interpreter="python3" if python else "bash", timeout=timeout)
    )
    if as_json:
        print_json(result)
        return
    sys.stdout.write(result.stdout)
    if result.stderr:
        console.print(result.stderr.rstrip("\n"), style="red", markup=False)
    if result.timed_out or result.exit_code:
        sys.exit(result.exit_code or 124)


COMMANDS = [wait, run_info, status, run_script]

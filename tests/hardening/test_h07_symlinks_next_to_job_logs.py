"""Item 7: a link named after the job, next to its logs, is never followed out of the job's directories.

On the lab (the alpha login node is this host), alice runs a job that writes its logs into a
folder; then files named after the job are planted there: a link to a private file of alice's
outside the job's directories, a link to a file inside them, a dangling link, and the job's own
stderr replaced by a link to the private file. Over HTTP, MCP and the CLI of a running service,
the escaping links are listed as refused and every read of them is refused (403, path_not_allowed,
a non-zero exit) without a byte of the private file in any answer; the link inside is read.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from clausius.remote.local import LocalTransport
from tests.labkit import Lab, require_lab
from tests.mcp.conftest import mcp_session, tool_error
from tests.served import Served, serve_on_lab

pytestmark = pytest.mark.lab
SECRET = "-----BEGIN OPENSSH PRIVATE KEY----- not-really-a-key " + uuid.uuid4().hex


@dataclass
class Planted:
    job_id: str
    folder: str
    escaping: str  # a link to the private file
    inside: str  # a link to a file in a subfolder of the log folder
    dangling: str
    stderr: str  # the job's own stderr, replaced by a link to the private file


def _alice_owns(path: Path) -> None:
    subprocess.run(["chown", "-h", "alice:alice", str(path)], check=True)


def _wait_finished(lab: Lab, job_id: str) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        out = lab.slurm("alpha", "sacct", "-X", "-n", "-P", f"--jobs={job_id}", "--format=State")
        if out.stdout.strip() == "COMPLETED":
            return
        time.sleep(1)
    raise AssertionError(f"job {job_id} did not finish")


@pytest.fixture(scope="module")
def planted() -> Iterator[Planted]:
    lab: Lab = require_lab()
    folder = Path(f"/home/alice/clausius-h07/{uuid.uuid4().hex[:10]}")
    secret = Path(f"/home/alice/.h07-private-{uuid.uuid4().hex[:8]}")
    made = lab.slurm("alpha", "mkdir", "-p", str(folder))  # as alice: Slurm does not create log folders
    assert made.returncode == 0, made.stderr
    out = lab.slurm(
        "alpha",
        "sbatch",
        "--parsable",
        "-J",
        "h07",
        "-p",
        "cpu",
        "-o",
        f"{folder}/out-%j.out",
        "-e",
        f"{folder}/err-%j.err",
        "--wrap",
        "echo hello from the job; echo oops >&2",
    )
    assert out.returncode == 0, out.stderr
    job_id = out.stdout.strip().split(";")[0]
    _wait_finished(lab, job_id)
    secret.write_text(SECRET + "\n")
    secret.chmod(0o600)
    _alice_owns(secret)
    (folder / "sub").mkdir()
    (folder / "sub" / "data.txt").write_text("inside the job's folder\n")
    names = {
        "escaping": (folder / f"key-{job_id}.txt", secret),
        "inside": (folder / f"inside-{job_id}.txt", folder / "sub" / "data.txt"),
        "dangling": (folder / f"gone-{job_id}.txt", Path("/nonexistent/h07")),
    }
    for link, target in names.values():
        link.symlink_to(target)
    stderr = folder / f"err-{job_id}.err"
    stderr.unlink()
    stderr.symlink_to(secret)
    for path in (folder / "sub", folder / "sub" / "data.txt", *(link for link, _ in names.values()), stderr):
        _alice_owns(path)
    try:
        yield Planted(
            job_id=job_id,
            folder=str(folder),
            escaping=str(names["escaping"][0]),
            inside=str(names["inside"][0]),
            dangling=str(names["dangling"][0]),
            stderr=str(stderr),
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        secret.unlink(missing_ok=True)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with serve_on_lab(require_lab(), tmp_path_factory.mktemp("h07"), mcp=True) as running:
        yield running


def _get(served: Served, route: str, **params: str) -> httpx.Response:
    return httpx.get(f"{served.url}{route}", params=params, headers=served.bearer, timeout=60)


def test_links_leading_out_are_listed_as_refused(served: Served, planted: Planted) -> None:
    listing = _get(served, f"/api/jobs/alpha/{planted.job_id}/logs")
    assert listing.status_code == 200, listing.text
    files = {f["path"]: f for f in listing.json()["files"]}
    assert files[planted.escaping]["is_link"] and files[planted.escaping]["refused"]
    assert files[planted.stderr]["refused"], "the job's own stderr, now a link out, is refused too"
    assert files[planted.inside]["is_link"] and files[planted.inside]["refused"] is None
    assert files[planted.dangling]["exists"] is False and files[planted.dangling]["refused"] is None
    assert files[f"{planted.folder}/out-{planted.job_id}.out"]["refused"] is None
    assert "outside the job's directories" in listing.json()["note"]
    assert SECRET not in listing.text


def test_http_reads_of_links_out_are_403(served: Served, planted: Planted) -> None:
    route = f"/api/jobs/alpha/{planted.job_id}/log"
    for params in ({"path": planted.escaping}, {"path": planted.stderr}, {}):  # {}: the default picks stderr
        response = _get(served, route, **params)
        assert response.status_code == 403, (params, response.text)
        assert "outside the job's own directories" in response.json()["error"]
        assert SECRET not in response.text
    inside = _get(served, route, path=planted.inside)
    assert inside.status_code == 200, inside.text
    assert inside.json()["text"] == "inside the job's folder\n"
    stdout = _get(served, route, path=f"{planted.folder}/out-{planted.job_id}.out")
    assert stdout.status_code == 200 and "hello from the job" in stdout.json()["text"]


def test_mcp_get_job_log_refuses_links_out(served: Served, planted: Planted) -> None:
    assert served.mcp_url is not None

    async def scenario() -> tuple[dict[str, object], dict[str, object], str]:
        async with mcp_session(served.mcp_url) as session:
            refused = await session.call_tool("get_job_log", {"cluster": "alpha", "job_id": planted.job_id})
            named = await session.call_tool(
                "get_job_log", {"cluster": "alpha", "job_id": planted.job_id, "path": planted.escaping}
            )
            inside = await session.call_tool(
                "get_job_log", {"cluster": "alpha", "job_id": planted.job_id, "path": planted.inside}
            )
            assert not inside.is_error, inside.content
            assert inside.structured_content is not None
            return tool_error(refused), tool_error(named), str(inside.structured_content["text"])

    refused, named, inside_text = asyncio.run(scenario())
    for error in (refused, named):
        assert error["code"] == "path_not_allowed", error
        assert SECRET not in str(error)
    assert inside_text == "inside the job's folder\n"


def test_cli_log_refuses_links_out(served: Served, planted: Planted) -> None:
    result = served.cli("log", "alpha", planted.job_id, "--path", planted.escaping)
    assert result.returncode != 0
    assert "outside the job's own directories" in result.stderr
    assert SECRET not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_local_listing_survives_a_dangling_link(tmp_path: Path) -> None:
    """The local transport lists a link as itself, as SFTP does (a dangling one used to fail the listing)."""
    (tmp_path / "real.txt").write_text("x")
    (tmp_path / "link.txt").symlink_to(tmp_path / "real.txt")
    (tmp_path / "gone.txt").symlink_to(tmp_path / "missing")
    entries = {e.name: e for e in asyncio.run(LocalTransport().listdir(str(tmp_path), timeout=5))}
    assert entries["link.txt"].is_link and entries["gone.txt"].is_link
    assert not entries["real.txt"].is_link
    assert entries["real.txt"].size == 1 and not entries["gone.txt"].is_dir

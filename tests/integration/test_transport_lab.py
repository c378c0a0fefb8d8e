"""SSH transport against the real lab: commands, files, host keys, limits, deadlines."""

from __future__ import annotations

import asyncio
import subprocess
import time
import uuid
from dataclasses import replace
from pathlib import Path

import pytest

from clausius.errors import InvalidInput
from clausius.remote.errors import CommandTimeout, HostKeyError
from clausius.services.app import Services
from tests.integration.conftest import lab_bootstrap, run_with
from tests.labkit import Lab

pytestmark = pytest.mark.lab


def _local_processes(pattern: str) -> str:
    # The lab's login nodes are this machine, so the remote side can be inspected directly.
    return subprocess.run(["pgrep", "-fa", pattern], capture_output=True, text=True, check=False).stdout


def test_commands_on_both_clusters_share_one_connection(services: Services, demo: dict[str, dict[str, str]]) -> None:
    async def scenario() -> dict[str, tuple[int, str, int]]:
        seen = {}
        for name in ("alpha", "beta"):
            transport = await services.transports.get(name)
            for _ in range(5):
                result = await transport.run(["squeue", "-h", "-u", "alice", "-o", "%i %j"], timeout=15)
            seen[name] = (result.rc, result.stdout, transport.stats().connections_opened)
        return seen

    seen = run_with(services, scenario)
    for name in ("alpha", "beta"):
        rc, stdout, opened = seen[name]
        assert rc == 0
        assert opened == 1  # five commands, one connection
        ids = {line.split()[0] for line in stdout.splitlines()}
        alice_jobs = {"alpha": "long-sleep", "beta": "beta-sleep"}[name]
        assert demo[name][alice_jobs] in ids


def test_ping_reports_the_slurm_version(services: Services) -> None:
    result = run_with(services, lambda: services.ping("beta"))
    assert result.ok and result.slurm and "22.05" in result.slurm  # Debian prints "slurm-wlm 22.05.8"


def test_twelve_concurrent_commands_all_succeed(services: Services) -> None:
    # sshd's MaxSessions is 10 in the lab; the transport caps channels per connection below it.
    async def scenario() -> list[tuple[int, str]]:
        transport = await services.transports.get("alpha")
        results = await asyncio.gather(
            *(transport.run(["bash", "-c", "sleep 0.3; echo $0", str(i)], timeout=30) for i in range(12))
        )
        return [(r.rc, r.stdout.strip()) for r in results]

    assert run_with(services, scenario) == [(0, str(i)) for i in range(12)]


def test_a_deadline_stops_the_remote_command(services: Services) -> None:
    marker = f"{3000 + uuid.uuid4().int % 900}"

    async def scenario() -> float:
        transport = await services.transports.get("alpha")
        start = time.monotonic()
        with pytest.raises(CommandTimeout, match="did not finish within 1s"):
            await transport.run(["bash", "-c", f"sleep {marker}.5; echo never"], timeout=1)
        return time.monotonic() - start

    elapsed = run_with(services, scenario)
    assert elapsed < 3
    for _ in range(50):  # the process group is TERMed as soon as sshd sees the channel close
        if f"sleep {marker}.5" not in _local_processes(f"sleep {marker}"):
            break
        time.sleep(0.2)
    assert f"sleep {marker}.5" not in _local_processes(f"sleep {marker}")


def test_sftp_reads_the_tail_of_a_large_file(services: Services, lab: Lab) -> None:
    home = Path("/home/alice")
    big = home / f"big-{uuid.uuid4().hex[:8]}.bin"
    tail = b"END-OF-FILE-MARKER\n" * 3449  # 65,531 bytes
    subprocess.run(["runuser", "-u", "alice", "--", "truncate", "-s", str(1024**3 - len(tail)), str(big)], check=True)
    with big.open("ab") as handle:
        handle.write(tail)
    try:

        async def scenario() -> tuple[bytes, float, int]:
            transport = await services.transports.get("alpha")
            stat = await transport.stat(str(big), timeout=10)
            start = time.monotonic()
            data = await transport.read(str(big), -65536, 65536, timeout=10)
            return data, time.monotonic() - start, stat.size

        data, seconds, size = run_with(services, scenario)
        assert size == 1024**3
        assert len(data) == 65536 and data.endswith(tail)
        print(f"read last 64 KiB of a 1 GiB file in {seconds * 1000:.1f} ms")
    finally:
        big.unlink()


def test_listdir_realpath_and_missing_files(services: Services) -> None:
    async def scenario() -> None:
        transport = await services.transports.get("beta")
        entries = await transport.listdir("/home/alice", timeout=10)
        assert "jobs" in {e.name for e in entries if e.is_dir}
        assert await transport.realpath("/home/alice/jobs/../jobs", timeout=10) == "/home/alice/jobs"
        from clausius.remote.errors import RemoteFileError

        with pytest.raises(RemoteFileError, match="no-such-file"):
            await transport.read("/home/alice/no-such-file", 0, 10, timeout=10)

    run_with(services, scenario)


def test_an_unknown_host_key_is_refused_then_trusted_explicitly(lab: Lab, tmp_path: Path) -> None:
    empty_known_hosts = tmp_path / "known_hosts"
    empty_known_hosts.write_text("")
    # The lab's ssh config names its own known_hosts (UserKnownHostsFile), which clausius honours; drop it here.
    config = tmp_path / "ssh_config"
    lines = lab.ssh_config.read_text().splitlines()
    config.write_text("\n".join(line for line in lines if "UserKnownHostsFile" not in line) + "\n")
    boot = replace(lab_bootstrap(lab, tmp_path / "data", known_hosts=empty_known_hosts), ssh_config=config)
    svc = Services.open(boot)
    try:
        asyncio.run(svc.clusters.add(_alpha_spec()))

        async def refused() -> HostKeyError:
            transport = await svc.transports.get("alpha")
            with pytest.raises(HostKeyError) as info:
                await transport.run(["true"], timeout=10)
            return info.value

        error = run_with(svc, refused)
        assert error.fingerprint and error.fingerprint.startswith("SHA256:")
        assert error.fingerprint in error.message and "refusing to connect" in error.message
        assert "trust-host-key alpha" in (error.hint or "")

        with pytest.raises(InvalidInput, match="nothing was trusted"):
            run_with(svc, lambda: svc.transports.trust_host_key("alpha", "SHA256:not-the-right-one"))
        trusted = run_with(svc, lambda: svc.transports.trust_host_key("alpha", error.fingerprint or ""))
        assert trusted.fingerprint == error.fingerprint

        async def now_ok() -> int:
            transport = await svc.transports.get("alpha")
            return (await transport.run(["true"], timeout=10)).rc

        assert run_with(svc, now_ok) == 0
    finally:
        svc.close()


def _alpha_spec():  # type: ignore[no-untyped-def]
    from clausius.core.config_models import ClusterSpec

    return ClusterSpec(name="alpha", host="alpha-login", user="alice")


def test_proxyjump_from_ssh_config_reaches_a_node_behind_another(lab: Lab, tmp_path: Path) -> None:
    # beta's login node reached only through alpha's, as with a bastion; both host keys are verified.
    config = tmp_path / "ssh_config"
    config.write_text(f"""Host alpha-login
    HostName 127.0.0.2
Host beta-behind-alpha
    HostName 127.0.0.3
    ProxyJump alice@alpha-login
Host *
    Port 2222
    IdentityFile {lab.ssh_key}
    IdentitiesOnly yes
""")
    boot = replace(lab_bootstrap(lab, tmp_path / "data"), ssh_config=config)
    svc = Services.open(boot)
    try:
        from clausius.core.config_models import ClusterSpec

        asyncio.run(svc.clusters.add(ClusterSpec(name="beta", host="beta-behind-alpha", user="alice")))
        alpha_log = Path(lab.cluster("alpha")["sshd_log"])
        logins_before = alpha_log.read_text(errors="replace").count("Accepted publickey for alice")

        async def scenario() -> tuple[str, int]:
            transport = await svc.transports.get("beta")
            result = await transport.run(["bash", "-c", "echo $SLURM_CONF"], timeout=15)
            return result.stdout.strip(), transport.stats().connections_opened

        slurm_conf, opened = run_with(svc, scenario)
        assert slurm_conf == lab.cluster("beta")["slurm_conf"]  # the command ran on beta's login node
        assert opened == 2  # the hop and the target
        assert alpha_log.read_text(errors="replace").count("Accepted publickey for alice") == logins_before + 1
    finally:
        svc.close()


def test_data_lane_falls_back_to_the_login_node_when_the_data_host_is_down(services: Services) -> None:
    from clausius.core.config_models import ClusterUpdate

    asyncio.run(services.clusters.update("alpha", ClusterUpdate(data_host="127.0.0.9")))  # nothing listens there

    async def scenario() -> tuple[bytes, bytes, float]:
        transport = await services.transports.get("alpha")
        first = await transport.read("/etc/hostname", 0, 64, timeout=15)
        start = time.monotonic()
        second = await transport.read("/etc/hostname", 0, 64, timeout=15)  # the dead data host is not retried
        return first, second, time.monotonic() - start

    first, second, seconds = run_with(services, scenario)
    assert first == second == Path("/etc/hostname").read_bytes()[:64]
    assert seconds < 1

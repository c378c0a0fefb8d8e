"""The lab's daemons: inventory, start commands and readiness checks (recipe §4 steps 3-10)."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from .configs import db_password
from .daemons import Daemon, live_pid, spawn_detached, wait_for_pid
from .settings import CLUSTERS, Cluster, Settings
from .util import LabError, run, say, succeeds, touch_owned, wait_until

SLURMCTLD_COMMS = ("slurmctld", "slurmctld-wlm")
SLURMD_COMMS = ("slurmd", "slurmd-wlm")
BAD_NODE_STATES = ("unknown", "not_responding", "*", "inval", "down")


# --- inventory -----------------------------------------------------------------------------------


def munged(s: Settings) -> Daemon:
    return Daemon("munged", s.munge_dir / "munged.pid", ("munged",), s.munge_dir / "munged.log", 10)


def mariadbd(s: Settings) -> Daemon:
    return Daemon("mariadbd", s.mysql_dir / "mysqld.pid", ("mariadbd", "mysqld"), s.mysql_dir / "mysqld.err", 60)


def slurmdbd(s: Settings) -> Daemon:
    return Daemon("slurmdbd", s.dbd_dir / "slurmdbd.pid", ("slurmdbd",), s.dbd_dir / "slurmdbd.log", 30)


def slurmctld(s: Settings, cluster: str) -> Daemon:
    return Daemon(f"slurmctld-{cluster}", s.ctld_pidfile(cluster), SLURMCTLD_COMMS, s.ctld_log(cluster), 30)


def slurmd(s: Settings, cluster: str, node: str) -> Daemon:
    return Daemon(f"slurmd-{node}", s.slurmd_pidfile(cluster, node), SLURMD_COMMS, s.slurmd_log(cluster, node), 20)


def sshd(s: Settings, cluster: str) -> Daemon:
    return Daemon(f"sshd-{cluster}", s.sshd_pidfile(cluster), ("sshd",), s.sshd_log(cluster), 10)


def inventory(s: Settings) -> list[Daemon]:
    """Every lab daemon, in start order."""
    out = [munged(s), mariadbd(s), slurmdbd(s)]
    out += [slurmctld(s, c.name) for c in CLUSTERS]
    out += [slurmd(s, c.name, n.name) for c in CLUSTERS for n in c.nodes]
    out += [sshd(s, c.name) for c in CLUSTERS]
    return out


# --- munge ---------------------------------------------------------------------------------------


def munge_works(s: Settings) -> bool:
    sock = str(s.munge_socket)
    try:
        cred = run(["munge", "-S", sock, "-n"], timeout=5, check=False)
        if cred.returncode != 0:
            return False
        return run(["unmunge", "-S", sock], input_text=cred.stdout, timeout=5, check=False).returncode == 0
    except LabError:
        return False


def start_munged(s: Settings) -> bool:
    d = munged(s)
    if live_pid(d) is None:
        # A socket left by a killed munged blocks the new one.
        for leftover in (s.munge_socket, s.munge_socket.with_name(s.munge_socket.name + ".lock")):
            leftover.unlink(missing_ok=True)
        touch_owned(d.log, "munge", 0o640)
        argv = [
            "runuser", "-u", "munge", "--", "/usr/sbin/munged",
            f"--socket={s.munge_socket}", f"--key-file={s.munge_dir / 'munge.key'}",
            f"--pid-file={d.pidfile}", f"--log-file={d.log}", f"--seed-file={s.munge_dir / 'munged.seed'}",
            "--num-threads=10",
        ]  # fmt: skip
        spawn_detached(argv, d.log, name=d.name)
        wait_for_pid(d, 10)
        started = True
    else:
        started = False
    if not wait_until(lambda: munge_works(s), 10):
        raise LabError("munged is running but `munge -n | unmunge` fails on the lab socket", d.log)
    return started


# --- mariadb -------------------------------------------------------------------------------------


def _mysql_argv(s: Settings, tool: str) -> list[str]:
    return [tool, f"--defaults-file={s.my_cnf}", "-uroot"]


def start_mariadb(s: Settings) -> bool:
    d = mariadbd(s)
    started = False
    if live_pid(d) is None:
        if not (s.mysql_dir / "data" / "mysql").is_dir():
            say("initialising the MariaDB datadir")
            init_log = s.mysql_dir / "install-db.log"
            proc = run(
                [
                    "mariadb-install-db", f"--defaults-file={s.my_cnf}", "--user=mysql",
                    "--auth-root-authentication-method=socket", "--skip-test-db",
                ],
                timeout=180, check=False,
            )  # fmt: skip
            init_log.write_text(proc.stdout + proc.stderr)
            if proc.returncode != 0:
                raise LabError("mariadb-install-db failed", init_log)
        s.mysql_socket.unlink(missing_ok=True)
        touch_owned(d.log, "mysql", 0o640)
        # mariadbd never forks: it stays in the background as our detached child.
        spawn_detached(["/usr/sbin/mariadbd", f"--defaults-file={s.my_cnf}"], d.log, wait_launcher=None, name=d.name)
        started = True
    ping = [*_mysql_argv(s, "mariadb-admin"), "ping"]
    if not wait_until(lambda: succeeds(ping, timeout=5), 60):
        raise LabError("mariadbd did not answer `mariadb-admin ping` within 60s", d.log)
    wait_for_pid(d, 10)
    d.pidfile.chmod(0o644)  # MariaDB writes it 0660; `status` as a normal user must be able to read it
    password = db_password(s).replace("\\", "\\\\").replace("'", "\\'")
    sql = "".join(
        f"CREATE USER IF NOT EXISTS 'slurm'@'{host}';\n"
        f"ALTER USER 'slurm'@'{host}' IDENTIFIED BY '{password}';\n"
        f"GRANT ALL ON slurm_acct_db.* TO 'slurm'@'{host}';\n"
        for host in ("127.0.0.1", "localhost")
    )
    run(_mysql_argv(s, "mariadb"), input_text=sql + "FLUSH PRIVILEGES;\n", timeout=30)
    return started


# --- slurmdbd ------------------------------------------------------------------------------------


def dbd_answers(s: Settings) -> bool:
    return succeeds(["sacctmgr", "-n", "list", "cluster"], timeout=10, env=s.slurm_env(CLUSTERS[0].name))


def start_slurmdbd(s: Settings) -> bool:
    d = slurmdbd(s)
    started = False
    if live_pid(d) is None:
        touch_owned(d.log, "slurm", 0o640)
        env = dict(os.environ, SLURM_CONF=str(s.dbd_slurm_conf))  # slurmdbd has no -f
        spawn_detached(["/usr/sbin/slurmdbd"], d.log, env=env, name=d.name)
        wait_for_pid(d, 15)
        started = True
    if not wait_until(lambda: dbd_answers(s), 60):
        raise LabError("slurmdbd does not answer `sacctmgr list cluster` within 60s", d.log)
    return started


# --- slurmctld / slurmd --------------------------------------------------------------------------


def ctld_answers(s: Settings, cluster: str) -> bool:
    try:
        proc = run(["scontrol", "ping"], timeout=10, env=s.slurm_env(cluster), check=False)
    except LabError:
        return False
    return proc.returncode == 0 and " UP" in proc.stdout


def start_slurmctld(s: Settings, cluster: str) -> bool:
    d = slurmctld(s, cluster)
    if live_pid(d) is not None:
        return False
    touch_owned(d.log, "slurm", 0o640)
    argv = ["/usr/sbin/slurmctld", "-f", str(s.slurm_conf(cluster))]
    spawn_detached(argv, d.log, env=s.slurm_env(cluster), name=d.name)
    wait_for_pid(d, 15)
    return True


def wait_slurmctld(s: Settings, cluster: str) -> None:
    d = slurmctld(s, cluster)
    if not wait_until(lambda: ctld_answers(s, cluster), 60):
        if live_pid(d) is None:
            raise LabError(f"{d.name} died during start-up", d.log)
        raise LabError(f"{d.name}: `scontrol ping` does not report UP within 60s", d.log)


def start_slurmd(s: Settings, cluster: str, node: str) -> bool:
    d = slurmd(s, cluster, node)
    if live_pid(d) is not None:
        return False
    argv = ["/usr/sbin/slurmd", "-f", str(s.slurm_conf(cluster)), "-N", node]
    spawn_detached(argv, d.log, env=s.slurm_env(cluster), name=d.name)
    wait_for_pid(d, 15)
    return True


def node_states(s: Settings, cluster: str) -> dict[str, str]:
    try:
        proc = run(["sinfo", "-h", "-N", "-o", "%N %T"], timeout=10, env=s.slurm_env(cluster), check=False)
    except LabError:
        return {}
    states: dict[str, str] = {}
    for line in proc.stdout.splitlines():
        parts = line.split()
        if len(parts) == 2:
            states[parts[0]] = parts[1]  # a node in several partitions repeats with the same state
    return states


def _nodes_ready(s: Settings, c: Cluster) -> bool:
    states = node_states(s, c.name)
    if set(states) != set(c.node_names()):
        return False
    return not any(bad in state for state in states.values() for bad in BAD_NODE_STATES)


def wait_nodes(s: Settings, c: Cluster) -> None:
    drained = [n for n, st in node_states(s, c.name).items() if "drain" in st]
    if drained:
        say(f"{c.name}: resuming drained nodes {','.join(drained)}")
        update = ["scontrol", "update", f"NodeName={','.join(drained)}", "State=RESUME"]
        run(update, timeout=10, env=s.slurm_env(c.name), check=False)
    if wait_until(lambda: _nodes_ready(s, c), 60):
        return
    states = node_states(s, c.name)
    bad = [n for n in c.node_names() if n not in states or any(b in states[n] for b in BAD_NODE_STATES)]
    node = bad[0] if bad else c.nodes[0].name
    detail = ", ".join(f"{n}={states.get(n, 'missing')}" for n in c.node_names())
    raise LabError(f"slurmd-{node} ({c.name}) not ready within 60s: {detail}", s.slurmd_log(c.name, node))


def reconfigure(s: Settings, cluster: str) -> None:
    say(f"{cluster}: slurm.conf/gres.conf changed, running `scontrol reconfigure`")
    run(["scontrol", "reconfigure"], timeout=30, env=s.slurm_env(cluster), check=False)


# --- sshd ----------------------------------------------------------------------------------------


def ssh_check(s: Settings, cluster: Cluster, timeout: float = 10) -> bool:
    argv = [
        "ssh", "-F", str(s.ssh_config), "-o", "ConnectTimeout=5",
        f"{s.users[0]}@{cluster.login_alias}", "true",
    ]  # fmt: skip
    return succeeds(argv, timeout=timeout)


def start_sshd(s: Settings, cluster: Cluster, config_changed: bool = False) -> bool:
    d = sshd(s, cluster.name)
    conf = str(s.sshd_conf(cluster.name))
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # privilege separation dir, normally from tmpfiles
    pid = live_pid(d)
    if pid is not None:
        if config_changed:
            run(["/usr/sbin/sshd", "-t", "-f", conf], timeout=10)
            say(f"{d.name}: config changed, SIGHUP")
            os.kill(pid, signal.SIGHUP)
        started = False
    else:
        check = run(["/usr/sbin/sshd", "-t", "-f", conf], timeout=10, check=False)
        if check.returncode != 0:
            raise LabError(f"{d.name}: `sshd -t` rejects {conf}: {check.stderr.strip()}", d.log)
        spawn_detached(["/usr/sbin/sshd", "-f", conf, "-E", str(d.log)], d.log, name=d.name)
        wait_for_pid(d, 10)
        started = True
    if not wait_until(lambda: ssh_check(s, cluster), 20, interval=0.3):
        raise LabError(f"{d.name}: `ssh {s.users[0]}@{cluster.login_alias} true` fails", d.log)
    return started

"""Orchestration: prepare files, `up` in the recipe's order, `down` in reverse, `purge`, `status`."""

from __future__ import annotations

import os
import shutil
import signal
import stat
from pathlib import Path
from typing import Any

from . import accounting, services
from .configs import db_password, gres_conf, my_cnf, slurm_conf, slurmdbd_conf
from .daemons import (
    live_pid,
    proc_comm,
    proc_gone,
    proc_rss_kb,
    proc_state,
    read_pid,
    signal_tree,
    stop_daemon,
    terminate_pid,
)
from .jobprocs import cancel_all, lab_stepds, reap_strays
from .packages import ensure_packages
from .settings import CLUSTERS, Settings
from .sshconf import ensure_keys, write_ssh_files
from .sshctl import thaw
from .users import clean_job_files, ensure_users
from .util import LabError, Timings, make_dir, run, say, wait_until, write_file

NVIDIA_MAJOR = 195
FORBIDDEN_PURGE = {
    Path(p)
    for p in ("/", "/var", "/var/lib", "/tmp", "/home", "/root", "/usr", "/etc", "/opt", "/srv")  # noqa: S108
}


# --- files ---------------------------------------------------------------------------------------


def _make_dirs(s: Settings) -> None:
    make_dir(s.lab_dir)
    make_dir(s.munge_dir, "munge", 0o755)
    make_dir(s.mysql_dir, "mysql", 0o755)
    make_dir(s.dbd_dir, "slurm", 0o755)
    make_dir(s.ssh_dir)
    make_dir(s.accounting_dir)
    for c in CLUSTERS:
        base = s.cdir(c.name)
        make_dir(base)
        make_dir(base / "etc")
        for sub in ("state", "log", "run"):
            make_dir(base / sub, "slurm", 0o755)
        for n in c.nodes:
            make_dir(base / "spool" / n.name)
            make_dir(s.fakedev(c.name, n.name))


def _ensure_munge_key(s: Settings) -> None:
    key = s.munge_dir / "munge.key"
    if not key.exists():
        key.write_bytes(os.urandom(1024))
    shutil.chown(key, "munge", "munge")
    key.chmod(0o400)


def _ensure_fake_gpus(s: Settings) -> None:
    for c in CLUSTERS:
        for n in c.nodes:
            for i in range(n.gpus):
                dev = s.fakedev(c.name, n.name) / f"nvidia{i}"
                if dev.exists() and stat.S_ISCHR(dev.stat().st_mode):
                    continue
                dev.unlink(missing_ok=True)
                os.mknod(dev, 0o666 | stat.S_IFCHR, os.makedev(NVIDIA_MAJOR, i))


def prepare(s: Settings) -> dict[str, dict[str, bool]]:
    """Write every file (configs each time; keys, munge key, db password only once). Returns what changed."""
    _make_dirs(s)
    _ensure_munge_key(s)
    ensure_keys(s)
    write_file(s.my_cnf, my_cnf(s), owner="mysql", mode=0o644)
    write_file(s.dbd_conf, slurmdbd_conf(s, db_password(s)), owner="slurm", mode=0o600)
    slurm_changed = {}
    for c in CLUSTERS:
        a = write_file(s.slurm_conf(c.name), slurm_conf(s, c))
        b = write_file(s.gres_conf(c.name), gres_conf(s, c))
        slurm_changed[c.name] = a or b
    sshd_changed = write_ssh_files(s)
    _ensure_fake_gpus(s)
    ensure_users(s)
    return {"slurm": slurm_changed, "sshd": sshd_changed}


# --- up ------------------------------------------------------------------------------------------


def up(s: Settings) -> list[str]:
    """Bring everything up; restart only what is missing. Returns the names of daemons started."""
    t = Timings()
    started: list[str] = []

    def note(flag: bool, name: str) -> None:
        if flag:
            started.append(name)

    ensure_packages(s)
    t.mark("packages checked")
    changed = prepare(s)
    t.mark("configs, keys, users")
    note(services.start_munged(s), "munged")
    t.mark("munged ready")
    note(services.start_mariadb(s), "mariadbd")
    t.mark("mariadb ready + grants")
    note(services.start_slurmdbd(s), "slurmdbd")
    t.mark("slurmdbd ready")
    accounting.phase1(s)
    t.mark("clusters registered")
    for c in CLUSTERS:
        was_started = services.start_slurmctld(s, c.name)
        note(was_started, f"slurmctld-{c.name}")
        if not was_started and changed["slurm"][c.name]:
            services.reconfigure(s, c.name)
    for c in CLUSTERS:
        services.wait_slurmctld(s, c.name)
    t.mark("both slurmctld answering")
    accounting.phase2(s)
    t.mark("accounts, users, QOS loaded")
    for c in CLUSTERS:
        for n in c.nodes:
            note(services.start_slurmd(s, c.name, n.name), f"slurmd-{n.name}")
    for c in CLUSTERS:
        services.wait_nodes(s, c)
    t.mark("all slurmd nodes ready")
    for c in CLUSTERS:
        thaw(s, c.name)
        note(services.start_sshd(s, c, changed["sshd"][c.name]), f"sshd-{c.name}")
    t.mark("both sshd + ssh check")
    write_file(s.timings_file, t.render() + "\n")
    print(t.render(), flush=True)
    return started


# --- down / purge --------------------------------------------------------------------------------


def _stop_sshd_tree(s: Settings, cluster: str) -> None:
    d = services.sshd(s, cluster)
    pid = live_pid(d)
    if pid is None:
        say(f"{d.name}: {stop_daemon(d)}")
        return
    # Thaw a frozen tree, then end the session processes too, so nothing of the lab's sshd stays behind.
    sessions = signal_tree(pid, signal.SIGCONT, ("sshd",))[1:]
    say(f"{d.name}: {stop_daemon(d)}")
    for child in sessions:
        if not proc_gone(child) and proc_comm(child) == "sshd":
            terminate_pid(child, 5)


def down(s: Settings) -> None:
    for c in CLUSTERS:
        _stop_sshd_tree(s, c.name)
    running = [c.name for c in CLUSTERS if live_pid(services.slurmctld(s, c.name)) is not None]
    if running:
        cancelled = cancel_all(s, running)
        if cancelled:
            say(f"scancel sent for {cancelled} job id(s) on {', '.join(running)}")
    if not wait_until(lambda: not lab_stepds(s), 20, interval=0.5):
        say(f"slurmstepd still running after 20s: {lab_stepds(s)}")
    for c in CLUSTERS:
        for n in c.nodes:
            d = services.slurmd(s, c.name, n.name)
            say(f"{d.name}: {stop_daemon(d)}")
    for pid in lab_stepds(s):
        say(f"terminating leftover slurmstepd {pid}")
        terminate_pid(pid, 5)
    reap_strays(s)
    for d in [services.slurmctld(s, c.name) for c in CLUSTERS] + [
        services.slurmdbd(s),
        services.mariadbd(s),
        services.munged(s),
    ]:
        say(f"{d.name}: {stop_daemon(d)}")


def purge(s: Settings) -> None:
    target = s.lab_dir.resolve()
    if not str(s.lab_dir).strip() or target in FORBIDDEN_PURGE or len(target.parts) < 3:
        raise LabError(f"refusing to delete {target}: not a safe lab directory")
    down(s)
    clean_job_files(s)
    if target.exists():
        shutil.rmtree(target)
        say(f"deleted {target} (users are kept)")


# --- status --------------------------------------------------------------------------------------


def status(s: Settings) -> dict[str, Any]:
    daemons: dict[str, Any] = {}
    for d in services.inventory(s):
        pid = read_pid(d.pidfile)
        alive = pid is not None and live_pid(d) == pid
        state = proc_state(pid) if alive and pid is not None else None
        daemons[d.name] = {
            "pid": pid if alive else None,
            "alive": alive,
            "frozen": state in ("T", "t"),
            "rss_kb": proc_rss_kb(pid) if alive and pid is not None else None,
            "pidfile": str(d.pidfile),
            "log": str(d.log),
        }
    clusters: dict[str, Any] = {}
    for c in CLUSTERS:
        ctld_alive = daemons[f"slurmctld-{c.name}"]["alive"]
        ping = ctld_alive and services.ctld_answers(s, c.name)
        nodes = services.node_states(s, c.name) if ping else {}
        nodes_ok = set(nodes) == set(c.node_names()) and not any(
            bad in st for st in nodes.values() for bad in services.BAD_NODE_STATES
        )
        clusters[c.name] = {"ping": ping, "nodes": nodes, "nodes_ok": nodes_ok}
    everything = all(v["alive"] and not v["frozen"] for v in daemons.values()) and all(
        v["ping"] and v["nodes_ok"] for v in clusters.values()
    )
    return {"up": everything, "lab_dir": str(s.lab_dir), "daemons": daemons, "clusters": clusters}


def print_status(s: Settings, info: dict[str, Any]) -> None:
    print(f"lab dir: {info['lab_dir']}")
    for name, d in info["daemons"].items():
        if d["alive"]:
            extra = " FROZEN" if d["frozen"] else ""
            print(f"  {name:<18} pid {d['pid']:<8} up   rss {d['rss_kb'] or 0:>7} kB{extra}")
        else:
            print(f"  {name:<18} {'-':<12} DOWN")
    for c in CLUSTERS:
        ci = info["clusters"][c.name]
        print(f"\n== {c.name}: slurmctld {'answers' if ci['ping'] else 'DOES NOT ANSWER'}")
        if ci["ping"]:
            proc = run(["sinfo"], env=s.slurm_env(c.name), timeout=10, check=False)
            print((proc.stdout or proc.stderr).rstrip())
    print(f"\nlab is {'UP' if info['up'] else 'NOT fully up'}")

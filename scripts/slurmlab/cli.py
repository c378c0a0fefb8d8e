"""Command line: up | down | purge | status | env | demo | ssh-down | ssh-up | sdiag."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from . import lab
from .demo import demo
from .settings import CLUSTERS, Settings, cluster_by_name
from .sshconf import env_vars, exports
from .sshctl import ssh_down, ssh_up
from .util import LabError, run, say, tail

CLUSTER_NAMES = [c.name for c in CLUSTERS]


def require_root(command: str) -> None:
    if os.geteuid() != 0:
        raise LabError(
            f"`{command}` must run as root (it creates users, device nodes and runs daemons as munge/mysql/slurm): "
            f"sudo scripts/slurm-lab {command}"
        )


def env_info(s: Settings) -> dict[str, Any]:
    clusters: dict[str, Any] = {}
    for c in CLUSTERS:
        clusters[c.name] = {
            "login_host": c.login_host,
            "login_alias": c.login_alias,
            "slurm_conf": str(s.slurm_conf(c.name)),
            "sshd_pidfile": str(s.sshd_pidfile(c.name)),
            "sshd_log": str(s.sshd_log(c.name)),
            "sshd_config": str(s.sshd_conf(c.name)),
            "slurmctld_pidfile": str(s.ctld_pidfile(c.name)),
            "slurmctld_log": str(s.ctld_log(c.name)),
            "slurmctld_port": c.ctld_port,
            "nodes": c.node_names(),
            "partitions": [p.name for p in c.partitions],
            "default_partition": next(p.name for p in c.partitions if p.default),
            "gpu_type": c.gpu_type,
            "env": env_vars(s, c.name),
        }
    return {
        "lab_dir": str(s.lab_dir),
        "ssh_key": str(s.client_key),
        "ssh_config": str(s.ssh_config),
        "known_hosts": str(s.known_hosts),
        "ssh_port": s.ssh_port,
        "users": list(s.users),
        "munge_socket": str(s.munge_socket),
        "env_sh": str(s.env_sh),
        "demo_json": str(s.demo_json),
        "time_format": "standard",
        "clusters": clusters,
    }


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="slurm-lab",
        description="Two real Slurm 22.05 clusters (alpha, beta) with SSH login nodes on this machine. "
        "Knobs: LAB_DIR, LAB_USERS, LAB_SSH_PORT, LAB_MYSQL_PORT, LAB_DBD_PORT, LAB_DB_PASS, LAB_NO_INSTALL=1.",
    )
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("up", help="install what is missing and start every daemon that is not running")
    sub.add_parser("down", help="cancel all jobs and stop every lab daemon (by PID)")
    sub.add_parser("purge", help="down, then delete LAB_DIR (users are kept)")
    st = sub.add_parser("status", help="daemons and sinfo per cluster; exit 0 only if everything is up")
    st.add_argument("--json", action="store_true", help="print a machine-readable dict")
    en = sub.add_parser("env", help='shell exports for a cluster (eval "$(slurm-lab env beta)")')
    en.add_argument("cluster", nargs="?", default=CLUSTER_NAMES[0], choices=CLUSTER_NAMES)
    en.add_argument("--json", action="store_true", help="print paths, users and clusters as JSON")
    sub.add_parser("demo", help="submit the demo workload; prints {cluster: {job name: id}} as JSON")
    sd = sub.add_parser("ssh-down", help="stop (or --freeze) one login node's sshd")
    sd.add_argument("cluster", choices=CLUSTER_NAMES)
    sd.add_argument("--freeze", action="store_true", help="SIGSTOP listener and sessions: connections hang")
    su = sub.add_parser("ssh-up", help="resume frozen / restart stopped login nodes")
    su.add_argument("cluster", nargs="?", choices=CLUSTER_NAMES)
    sg = sub.add_parser("sdiag", help="run sdiag against one cluster")
    sg.add_argument("cluster", choices=CLUSTER_NAMES)
    return p


def dispatch(args: argparse.Namespace, s: Settings) -> int:
    cmd: str = args.command
    if cmd in ("up", "down", "purge", "demo", "ssh-down", "ssh-up"):
        require_root(cmd)
    if cmd == "up":
        started = lab.up(s)
        say(f"started: {', '.join(started)}" if started else "everything was already running; nothing restarted")
        say(f"lab is up. Clients: source {s.env_sh}   or   ssh -F {s.ssh_config} alice@alpha-login")
        return 0
    if cmd == "down":
        lab.down(s)
        return 0
    if cmd == "purge":
        lab.purge(s)
        return 0
    if cmd == "status":
        info = lab.status(s)
        if args.json:
            print(json.dumps(info, indent=2))
        else:
            lab.print_status(s, info)
        return 0 if info["up"] else 1
    if cmd == "env":
        if args.json:
            print(json.dumps(env_info(s), indent=2))
        else:
            sys.stdout.write(exports(s, args.cluster))
        return 0
    if cmd == "demo":
        return demo(s)
    if cmd == "ssh-down":
        ssh_down(s, args.cluster, args.freeze)
        return 0
    if cmd == "ssh-up":
        ssh_up(s, args.cluster)
        return 0
    if cmd == "sdiag":
        cluster_by_name(args.cluster)
        proc = run(["sdiag"], env=s.slurm_env(args.cluster), timeout=30, check=False)
        sys.stdout.write(proc.stdout)
        sys.stderr.write(proc.stderr)
        return proc.returncode
    raise LabError(f"unknown command {cmd}")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return dispatch(args, Settings.from_env())
    except LabError as exc:
        print(f"slurm-lab: ERROR: {exc}", file=sys.stderr)
        if exc.log is not None:
            print(f"--- last 30 lines of {exc.log} ---", file=sys.stderr)
            print(tail(exc.log, 30), file=sys.stderr)
        return 1
    except BrokenPipeError:
        # stdout closed early (e.g. `| head`): exit quietly without a second error at interpreter shutdown
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        print("slurm-lab: interrupted", file=sys.stderr)
        return 130

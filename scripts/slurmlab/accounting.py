"""Accounts, users and QOS in slurmdbd, in two phases (recipe §1.5, §1.6, §3.7).

Phase 1 (before any slurmctld): cluster and QOS names. Phase 2 (after both slurmctld registered, so the
gres/gpu TRES exists): QOS limits and one `sacctmgr load` file per cluster.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from .settings import CLUSTERS, Settings
from .util import LabError, run, say, wait_until, write_file

QOS_LINES = (
    "modify qos normal set Priority=10",
    "modify qos high set Priority=100 MaxTRESPerUser=gres/gpu=12",
    "modify qos low set Priority=0",
)
USER_QOS = "QOS='high,low,normal':DefaultQOS='normal'"


@dataclass(frozen=True)
class Account:
    name: str
    fairshare: int
    description: str
    organization: str
    limits: str = ""  # extra ":Key=Value" text, e.g. ":GrpTRES=gres/gpu=8"


@dataclass(frozen=True)
class Member:
    user: str
    account: str
    fairshare: int
    extra: str = ""


# cluster -> (accounts, memberships, default account per user). carol has no association on beta.
TREE: dict[str, tuple[tuple[Account, ...], tuple[Member, ...], dict[str, str]]] = {
    "alpha": (
        (
            Account("physics", 40, "physics", "science"),
            Account("chemistry", 30, "chemistry", "science"),
            Account("ml", 30, "machine learning", "ai", ":GrpTRES=gres/gpu=8"),
        ),
        (
            Member("alice", "physics", 1),
            Member("bob", "physics", 1),
            Member("bob", "chemistry", 1),
            Member("alice", "ml", 2),
            Member("carol", "ml", 1, ":MaxSubmitJobs=50"),
        ),
        {"alice": "physics", "bob": "chemistry", "carol": "ml"},
    ),
    "beta": (
        (
            Account("physics", 50, "physics", "science"),
            Account("bio", 50, "biology", "science", ":GrpTRES=cpu=16"),
        ),
        (
            Member("alice", "physics", 1),
            Member("bob", "bio", 1),
        ),
        {"alice": "physics", "bob": "bio"},
    ),
}


def load_file(cluster: str) -> str:
    accounts, members, defaults = TREE[cluster]
    lines = [f"Cluster - '{cluster}':Fairshare=1", "Parent - 'root'"]
    for a in accounts:
        lines.append(
            f"Account - '{a.name}':Description='{a.description}':Organization='{a.organization}'"
            f":Fairshare={a.fairshare}{a.limits}"
        )
    for a in accounts:
        users = [m for m in members if m.account == a.name]
        if not users:
            continue
        lines.append(f"Parent - '{a.name}'")
        for m in users:
            lines.append(
                f"User - '{m.user}':DefaultAccount='{defaults[m.user]}':Fairshare={m.fairshare}{m.extra}:{USER_QOS}"
            )
    return "\n".join(lines) + "\n"


def expected_associations() -> set[tuple[str, str, str]]:
    return {(cluster, m.account, m.user) for cluster, (_, members, _) in TREE.items() for m in members}


def _sacctmgr(s: Settings, *args: str, stdin: str | None = None, timeout: float = 60) -> str:
    env = s.slurm_env(CLUSTERS[0].name)
    return run(["sacctmgr", *args], env=env, input_text=stdin, timeout=timeout, check=stdin is None).stdout


def _clusters(s: Settings) -> set[str]:
    return set(_sacctmgr(s, "-n", "-P", "list", "cluster", "format=cluster").split())


def phase1(s: Settings) -> None:
    wanted = {c.name for c in CLUSTERS}
    if wanted <= _clusters(s) and {"high", "low"} <= _qos_names(s):
        return
    # One sacctmgr process for all adds; "already exists" failures are fine, the list below verifies.
    cmds = "".join(f"add cluster {c}\n" for c in sorted(wanted)) + "add qos high\nadd qos low\n"
    log = s.accounting_dir / "sacctmgr.log"
    out = _sacctmgr(s, "-i", stdin=cmds)
    with open(log, "a") as fh:
        fh.write(f"--- phase 1\n{cmds}{out}\n")
    missing = wanted - _clusters(s)
    if missing:
        raise LabError(f"sacctmgr did not register clusters {sorted(missing)}", log)


def _qos_names(s: Settings) -> set[str]:
    return set(_sacctmgr(s, "-n", "-P", "list", "qos", "format=name").split())


def _has_gpu_tres(s: Settings) -> bool:
    return "gres|gpu" in _sacctmgr(s, "-n", "-P", "list", "tres", "format=type,name").split()


def current_associations(s: Settings) -> set[tuple[str, str, str]]:
    out = _sacctmgr(s, "-n", "-P", "list", "assoc", "format=cluster,account,user")
    result: set[tuple[str, str, str]] = set()
    for line in out.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[2]:
            result.add((parts[0], parts[1], parts[2]))
    return result


def phase2(s: Settings) -> bool:
    """Returns False when everything was already in place (nothing loaded)."""
    files = {c.name: load_file(c.name) for c in CLUSTERS}
    digest = hashlib.sha256(("\n".join(QOS_LINES) + "".join(files.values())).encode()).hexdigest()
    marker = s.accounting_dir / "applied.sha256"
    if marker.exists() and marker.read_text().strip() == digest and expected_associations() <= current_associations(s):
        return False
    log = s.accounting_dir / "sacctmgr.log"
    if not wait_until(lambda: _has_gpu_tres(s), 30, interval=0.5):
        raise LabError("TRES gres/gpu did not appear in slurmdbd within 30s (slurmctld not registered?)", log)
    qos_cmds = "\n".join(QOS_LINES) + "\n"
    write_file(s.accounting_dir / "qos.cmds", qos_cmds)
    out = _sacctmgr(s, "-i", stdin=qos_cmds)
    with open(log, "a") as fh:
        fh.write(f"--- phase 2 qos\n{qos_cmds}{out}\n")
    for cluster, content in files.items():
        path = s.accounting_dir / f"{cluster}.cfg"
        write_file(path, content)
        proc = run(
            ["sacctmgr", "-i", "load", f"file={path}"],
            env=s.slurm_env(cluster),
            timeout=60,
            check=False,
        )
        with open(log, "a") as fh:
            fh.write(f"--- load {path} (exit {proc.returncode})\n{proc.stdout}{proc.stderr}\n")
    missing = expected_associations() - current_associations(s)
    if missing:
        raise LabError(f"associations missing after sacctmgr load: {sorted(missing)}", log)
    if {"high", "low", "normal"} - _qos_names(s):
        raise LabError("QOS high/low/normal not all present", log)
    write_file(marker, digest + "\n")
    say("accounts, users and QOS loaded")
    return True

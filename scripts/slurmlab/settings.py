"""Knobs (environment overrides), the fixed lab topology, and every path under LAB_DIR."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_LAB_DIR = "/var/lib/slurm-lab"
DEFAULT_USERS = ("alice", "bob", "carol")
TIME_FORMAT = "standard"


@dataclass(frozen=True)
class Node:
    name: str
    port: int
    sockets: int
    cores: int
    memory_mb: int
    features: str
    gpu_type: str = ""
    gpus: int = 0

    @property
    def cpus(self) -> int:
        return self.sockets * self.cores

    @property
    def gres(self) -> str:
        return f"gpu:{self.gpu_type}:{self.gpus}" if self.gpus else ""


@dataclass(frozen=True)
class Partition:
    name: str
    nodes: tuple[str, ...]
    max_time: str
    default_time: str
    default: bool = False
    priority_job_factor: int = 0


@dataclass(frozen=True)
class Cluster:
    name: str
    ctld_port: int
    login_host: str
    gpu_type: str
    nodes: tuple[Node, ...]
    partitions: tuple[Partition, ...]

    @property
    def login_alias(self) -> str:
        return f"{self.name}-login"

    def node_names(self) -> list[str]:
        return [n.name for n in self.nodes]


def _partitions(cpu_name: str, cpu_nodes: tuple[str, ...], gpu_nodes: tuple[str, ...]) -> tuple[Partition, ...]:
    return (
        Partition(cpu_name, cpu_nodes, "2-00:00:00", "01:00:00", default=True),
        Partition("gpu", gpu_nodes, "1-00:00:00", "01:00:00", priority_job_factor=10),
        Partition("debug", cpu_nodes + gpu_nodes, "00:30:00", "00:10:00", priority_job_factor=20),
    )


CLUSTERS: tuple[Cluster, ...] = (
    Cluster(
        name="alpha",
        ctld_port=16817,
        login_host="127.0.0.2",
        gpu_type="h100",
        nodes=(
            Node("alpha-cpu1", 17011, 2, 16, 128000, "cpu"),
            Node("alpha-gpu1", 17012, 2, 32, 512000, "gpu,h100", "h100", 8),
            Node("alpha-gpu2", 17013, 2, 32, 512000, "gpu,h100", "h100", 8),
        ),
        partitions=_partitions("cpu", ("alpha-cpu1",), ("alpha-gpu1", "alpha-gpu2")),
    ),
    Cluster(
        name="beta",
        ctld_port=16827,
        login_host="127.0.0.3",
        gpu_type="a100",
        nodes=(
            Node("beta-cpu1", 17021, 1, 16, 64000, "cpu"),
            Node("beta-gpu1", 17022, 2, 24, 256000, "gpu,a100", "a100", 4),
        ),
        partitions=_partitions("batch", ("beta-cpu1",), ("beta-gpu1",)),
    ),
)


def cluster_by_name(name: str) -> Cluster:
    for c in CLUSTERS:
        if c.name == name:
            return c
    known = ", ".join(c.name for c in CLUSTERS)
    raise KeyError(f"unknown cluster {name!r} (known: {known})")


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise SystemExit(f"slurm-lab: {name} must be an integer, got {raw!r}") from exc


@dataclass(frozen=True)
class Settings:
    """Everything configurable plus derived paths. Build with `Settings.from_env()`."""

    lab_dir: Path
    users: tuple[str, ...]
    ssh_port: int
    mysql_port: int
    dbd_port: int
    db_pass_override: str
    no_install: bool
    hostname: str = field(default_factory=lambda: socket.gethostname().split(".")[0])

    @classmethod
    def from_env(cls) -> Settings:
        users = tuple(os.environ.get("LAB_USERS", " ".join(DEFAULT_USERS)).split())
        return cls(
            lab_dir=Path(os.environ.get("LAB_DIR", DEFAULT_LAB_DIR)).absolute(),
            users=users or DEFAULT_USERS,
            ssh_port=_env_int("LAB_SSH_PORT", 2222),
            mysql_port=_env_int("LAB_MYSQL_PORT", 13306),
            dbd_port=_env_int("LAB_DBD_PORT", 16819),
            db_pass_override=os.environ.get("LAB_DB_PASS", ""),
            no_install=os.environ.get("LAB_NO_INSTALL", "") not in ("", "0"),
        )

    # --- munge ---------------------------------------------------------------
    @property
    def munge_dir(self) -> Path:
        return self.lab_dir / "munge"

    @property
    def munge_socket(self) -> Path:
        return self.munge_dir / "munge.socket.2"

    # --- mariadb -------------------------------------------------------------
    @property
    def mysql_dir(self) -> Path:
        return self.lab_dir / "mysql"

    @property
    def my_cnf(self) -> Path:
        return self.mysql_dir / "my.cnf"

    @property
    def mysql_socket(self) -> Path:
        return self.mysql_dir / "mysqld.sock"

    @property
    def db_pass_file(self) -> Path:
        return self.mysql_dir / "slurm-db.pass"

    # --- slurmdbd --------------------------------------------------------------
    @property
    def dbd_dir(self) -> Path:
        return self.lab_dir / "dbd"

    @property
    def dbd_conf(self) -> Path:
        return self.dbd_dir / "slurmdbd.conf"

    @property
    def dbd_slurm_conf(self) -> Path:
        """Never written: slurmdbd reads slurmdbd.conf from the directory of $SLURM_CONF."""
        return self.dbd_dir / "slurm.conf"

    # --- per cluster -----------------------------------------------------------
    def cdir(self, cluster: str) -> Path:
        return self.lab_dir / cluster

    def slurm_conf(self, cluster: str) -> Path:
        return self.cdir(cluster) / "etc" / "slurm.conf"

    def gres_conf(self, cluster: str) -> Path:
        return self.cdir(cluster) / "etc" / "gres.conf"

    def ctld_pidfile(self, cluster: str) -> Path:
        return self.cdir(cluster) / "run" / "slurmctld.pid"

    def ctld_log(self, cluster: str) -> Path:
        return self.cdir(cluster) / "log" / "slurmctld.log"

    def slurmd_pidfile(self, cluster: str, node: str) -> Path:
        return self.cdir(cluster) / "run" / f"slurmd-{node}.pid"

    def slurmd_log(self, cluster: str, node: str) -> Path:
        return self.cdir(cluster) / "log" / f"slurmd-{node}.log"

    def fakedev(self, cluster: str, node: str) -> Path:
        return self.cdir(cluster) / "fakedev" / node

    # --- ssh -------------------------------------------------------------------
    @property
    def ssh_dir(self) -> Path:
        return self.lab_dir / "ssh"

    @property
    def host_key(self) -> Path:
        return self.ssh_dir / "ssh_host_ed25519_key"

    @property
    def client_key(self) -> Path:
        return self.ssh_dir / "id_ed25519"

    @property
    def ssh_config(self) -> Path:
        return self.ssh_dir / "config"

    @property
    def known_hosts(self) -> Path:
        return self.ssh_dir / "known_hosts"

    def sshd_conf(self, cluster: str) -> Path:
        return self.ssh_dir / f"sshd-{cluster}.conf"

    def sshd_pidfile(self, cluster: str) -> Path:
        return self.ssh_dir / f"sshd-{cluster}.pid"

    def sshd_log(self, cluster: str) -> Path:
        return self.ssh_dir / f"sshd-{cluster}.log"

    # --- misc ------------------------------------------------------------------
    @property
    def accounting_dir(self) -> Path:
        return self.lab_dir / "accounting"

    @property
    def env_sh(self) -> Path:
        return self.lab_dir / "env.sh"

    @property
    def timings_file(self) -> Path:
        return self.lab_dir / "timings.last"

    @property
    def demo_json(self) -> Path:
        return self.lab_dir / "demo.json"

    def slurm_env(self, cluster: str) -> dict[str, str]:
        """Environment for running Slurm client commands against one cluster."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLURM_", "SQUEUE_", "SBATCH_", "SACCT_"))}
        env["SLURM_CONF"] = str(self.slurm_conf(cluster))
        env["SLURM_TIME_FORMAT"] = TIME_FORMAT
        return env

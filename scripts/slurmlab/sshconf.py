"""SSH keys, per-login-node sshd configs, the client config, known_hosts and the env exports."""

from __future__ import annotations

import shlex

from .settings import CLUSTERS, TIME_FORMAT, Cluster, Settings
from .util import run, write_file

CLIENT_KEY_COMMENT = "slurm-lab-client"


def ensure_keys(settings: Settings) -> None:
    """Host key and client key are generated once and kept across `up`."""
    for path, comment in ((settings.host_key, "slurm-lab-host"), (settings.client_key, CLIENT_KEY_COMMENT)):
        if not path.exists():
            run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)], timeout=30)
        path.chmod(0o600)


def client_public_key(settings: Settings) -> str:
    return settings.client_key.with_suffix(".pub").read_text().strip()


def sshd_conf(settings: Settings, cluster: Cluster) -> str:
    return f"""\
# slurm-lab login node {cluster.login_alias} (generated on every `up`)
Port {settings.ssh_port}
ListenAddress {cluster.login_host}
HostKey {settings.host_key}
PidFile {settings.sshd_pidfile(cluster.name)}
AuthorizedKeysFile .ssh/authorized_keys
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PermitRootLogin no
AllowUsers {" ".join(settings.users)}
# OpenSSH's real default for MaxSessions: the product's channel cap is tested against it
MaxSessions 10
MaxStartups 200:30:400
Subsystem sftp internal-sftp
SetEnv SLURM_CONF={settings.slurm_conf(cluster.name)} SLURM_TIME_FORMAT={TIME_FORMAT}
# VERBOSE logs every accepted connection and key; tests count connections from the log
LogLevel VERBOSE
"""


def client_config(settings: Settings) -> str:
    blocks = [f"Host {c.login_alias}\n    HostName {c.login_host}\n" for c in CLUSTERS]
    blocks.append(
        f"""\
Host *
    Port {settings.ssh_port}
    IdentityFile {settings.client_key}
    IdentitiesOnly yes
    UserKnownHostsFile {settings.known_hosts}
    StrictHostKeyChecking yes
    BatchMode yes
"""
    )
    return "# slurm-lab SSH client config: ssh -F <this file> alice@alpha-login\n" + "\n".join(blocks)


def known_hosts(settings: Settings) -> str:
    fields = settings.host_key.with_suffix(".pub").read_text().split()
    key = f"{fields[0]} {fields[1]}"
    lines = []
    for c in CLUSTERS:
        lines.append(f"[{c.login_host}]:{settings.ssh_port} {key}")
        lines.append(f"[{c.login_alias}]:{settings.ssh_port} {key}")
    return "\n".join(lines) + "\n"


def env_vars(settings: Settings, cluster: str) -> dict[str, str]:
    return {
        "SLURM_CONF": str(settings.slurm_conf(cluster)),
        "SLURM_TIME_FORMAT": TIME_FORMAT,
        "SLURM_LAB_DIR": str(settings.lab_dir),
        "SLURM_LAB_SSH_KEY": str(settings.client_key),
        "SLURM_LAB_SSH_CONFIG": str(settings.ssh_config),
        "SLURM_LAB_KNOWN_HOSTS": str(settings.known_hosts),
        "SLURM_LAB_SSH_PORT": str(settings.ssh_port),
    }


def exports(settings: Settings, cluster: str) -> str:
    return "".join(f"export {k}={shlex.quote(v)}\n" for k, v in env_vars(settings, cluster).items())


def write_ssh_files(settings: Settings) -> dict[str, bool]:
    """Write every SSH file; return {cluster: sshd config changed}."""
    changed = {}
    for c in CLUSTERS:
        changed[c.name] = write_file(settings.sshd_conf(c.name), sshd_conf(settings, c), mode=0o644)
    write_file(settings.ssh_config, client_config(settings), mode=0o644)
    write_file(settings.known_hosts, known_hosts(settings), mode=0o644)
    header = "# slurm-lab client environment: source this file (cluster alpha by default)\n"
    write_file(settings.env_sh, header + exports(settings, CLUSTERS[0].name), mode=0o644)
    return changed

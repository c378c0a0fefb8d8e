"""Lab users alice, bob, carol: key-only login with the lab client key, and a ~/jobs directory."""

from __future__ import annotations

import pwd
from pathlib import Path

from .settings import Settings
from .sshconf import CLIENT_KEY_COMMENT, client_public_key
from .util import make_dir, run, write_file


def home_of(user: str) -> Path:
    return Path(pwd.getpwnam(user).pw_dir)


def jobs_dir(user: str) -> Path:
    return home_of(user) / "jobs"


def _shadow_password(user: str) -> str:
    for line in Path("/etc/shadow").read_text().splitlines():
        fields = line.split(":")
        if fields[0] == user and len(fields) > 1:
            return fields[1]
    return ""


def ensure_user(settings: Settings, user: str) -> None:
    try:
        pwd.getpwnam(user)
    except KeyError:
        run(["useradd", "-m", "-s", "/bin/bash", user], timeout=30)
    # useradd leaves '!' (locked); sshd with UsePAM=no refuses even key logins for locked accounts.
    if _shadow_password(user) != "*":
        run(["usermod", "-p", "*", user], timeout=30)
    home = home_of(user)
    if not home.exists():
        make_dir(home, owner=user, mode=0o755)
    ssh_dir = home / ".ssh"
    make_dir(ssh_dir, owner=user, mode=0o700)
    auth = ssh_dir / "authorized_keys"
    # Keep foreign keys, replace the lab's own line (the client key may have been regenerated after purge).
    keep = []
    if auth.exists():
        keep = [ln for ln in auth.read_text().splitlines() if ln.strip() and not ln.endswith(CLIENT_KEY_COMMENT)]
    write_file(auth, "\n".join([*keep, client_public_key(settings)]) + "\n", owner=user, mode=0o600)
    make_dir(home / "jobs", owner=user, mode=0o755)


def ensure_users(settings: Settings) -> None:
    for user in settings.users:
        ensure_user(settings, user)


def clean_job_files(settings: Settings) -> None:
    """On purge: job IDs restart at 1, so old slurm-<id>.out files would be mistaken for new ones."""
    for user in settings.users:
        try:
            jobs = jobs_dir(user)
        except KeyError:
            continue
        if not jobs.is_dir():
            continue
        for entry in jobs.iterdir():
            if entry.is_file() or entry.is_symlink():
                entry.unlink()

"""Install the Debian packages the lab needs (only the missing ones)."""

from __future__ import annotations

import os
from pathlib import Path

from .settings import Settings
from .util import LabError, run, say

PACKAGES = (
    "slurm-wlm",
    "slurmdbd",
    "slurm-client",
    "munge",
    "mariadb-server",
    "mariadb-client",
    "openssh-server",
    "openssh-client",
    "sshfs",
    "fuse3",
    "python3",
    "procps",
    "iproute2",
)

POLICY_RC_D = Path("/usr/sbin/policy-rc.d")
INSTALL_TIMEOUT = 1200


def missing_packages() -> list[str]:
    proc = run(
        ["dpkg-query", "-W", "-f=${Package} ${Status}\n", *PACKAGES],
        check=False,
        timeout=30,
    )
    installed = set()
    for line in proc.stdout.splitlines():
        parts = line.split()
        if len(parts) >= 2 and line.endswith("install ok installed"):
            installed.add(parts[0])
    return [p for p in PACKAGES if p not in installed]


def _apt_env() -> dict[str, str]:
    env = dict(os.environ)
    env["DEBIAN_FRONTEND"] = "noninteractive"
    return env


def _install(packages: list[str]) -> bool:
    argv = ["apt-get", "install", "-y", "-q", "--no-install-recommends", *packages]
    proc = run(argv, check=False, timeout=INSTALL_TIMEOUT, env=_apt_env())
    if proc.returncode != 0:
        say(f"apt-get install failed (exit {proc.returncode}): {proc.stderr.strip()[-400:]}")
    return proc.returncode == 0


def ensure_packages(settings: Settings) -> None:
    missing = missing_packages()
    if not missing:
        return
    if settings.no_install:
        raise LabError(f"missing Debian packages (LAB_NO_INSTALL is set): {' '.join(missing)}")
    say(f"installing Debian packages: {' '.join(missing)}")
    # Package scripts would try to start munge/mariadb/ssh/slurm through invoke-rc.d; forbid that.
    created_guard = False
    if not POLICY_RC_D.exists():
        POLICY_RC_D.write_text("#!/bin/sh\n# slurm-lab: no service starts during package installs\nexit 101\n")
        POLICY_RC_D.chmod(0o755)
        created_guard = True
    try:
        if not _install(missing):
            say("retrying after apt-get update")
            run(["apt-get", "update", "-q"], timeout=300, env=_apt_env())
            if not _install(missing):
                raise LabError(f"apt-get install failed for: {' '.join(missing)}")
    finally:
        if created_guard:
            POLICY_RC_D.unlink(missing_ok=True)
    still = missing_packages()
    if still:
        raise LabError(f"packages still missing after install: {' '.join(still)}")

"""`clausius ping` and `clausius trust-host-key` through the real entry point, against the lab's sshd.

Both were defined but not registered ("No such command"), while the README documents them and
the unknown-host-key error tells the user to run `trust-host-key`.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.labkit import Lab
from tests.served import lab_env

pytestmark = pytest.mark.lab


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "clausius", *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_an_unknown_host_key_is_trusted_with_the_command_the_error_names(lab: Lab, tmp_path: Path) -> None:
    env = lab_env(lab, tmp_path)
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    config = tmp_path / "ssh_config"  # the lab's config names its own known_hosts: drop that line here
    config.write_text(
        "\n".join(line for line in lab.ssh_config.read_text().splitlines() if "UserKnownHostsFile" not in line) + "\n"
    )
    env.update(CLAUSIUS_KNOWN_HOSTS=str(empty), CLAUSIUS_SSH_CONFIG=str(config))
    added = _cli(env, "add-cluster", "alpha", "--host", "alpha-login")
    assert added.returncode == 0, added.stderr

    refused = _cli(env, "ping", "alpha")
    assert refused.returncode != 0 and "Traceback" not in refused.stderr
    assert "No such command" not in refused.stderr
    assert "trust-host-key alpha" in refused.stderr, refused.stderr
    match = re.search(r"SHA256:[A-Za-z0-9+/=]+", refused.stderr)
    assert match, refused.stderr

    wrong = _cli(env, "trust-host-key", "alpha", "--fingerprint", "SHA256:not-the-right-one")
    assert wrong.returncode == 2 and "nothing was trusted" in wrong.stderr, wrong.stderr
    trusted = _cli(env, "trust-host-key", "alpha", "--fingerprint", match.group(0))
    assert trusted.returncode == 0, trusted.stderr
    assert match.group(0) in trusted.stdout

    answered = _cli(env, "ping", "alpha")
    assert answered.returncode == 0, answered.stderr
    assert answered.stdout.startswith("alpha: slurm") and " ms)" in answered.stdout, answered.stdout
    as_json = _cli(env, "ping", "alpha", "--json")
    assert as_json.returncode == 0 and '"ok": true' in as_json.stdout, as_json.stdout

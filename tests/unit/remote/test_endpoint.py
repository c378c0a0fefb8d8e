"""Where and as whom to connect: cluster record > ~/.ssh/config > bootstrap defaults."""

from __future__ import annotations

from pathlib import Path

from clausius.remote.endpoint import SshEndpoint, resolve


def _config(tmp_path: Path) -> Path:
    key = tmp_path / "id_cfg"
    key.write_text("not read during resolution")
    path = tmp_path / "config"
    path.write_text(f"""Host alpha-login
    HostName 10.1.2.3
    Port 2200
    User cfguser
    IdentityFile {key}
    ProxyJump jump.example.com
    UserKnownHostsFile {tmp_path}/cfg_known_hosts
Host *
    ServerAliveInterval 5
""")
    return path


def test_config_fills_what_the_record_leaves_open(tmp_path: Path) -> None:
    resolved = resolve(
        SshEndpoint(
            cluster="alpha",
            host="alpha-login",
            config_files=[_config(tmp_path)],
            default_user="boot",
            default_key=tmp_path / "missing",
            known_hosts=tmp_path / "kh",
        )
    )
    assert (resolved.host, resolved.port, resolved.user) == ("10.1.2.3", 2200, "cfguser")
    assert resolved.keys == (tmp_path / "id_cfg",)
    assert resolved.proxy_jump == "jump.example.com"
    assert resolved.known_hosts == (tmp_path / "kh", tmp_path / "cfg_known_hosts")


def test_the_record_wins_over_the_config(tmp_path: Path) -> None:
    key = tmp_path / "id_rec"
    resolved = resolve(
        SshEndpoint(
            cluster="alpha",
            host="alpha-login",
            port=22,
            user="rec",
            key=key,
            config_files=[_config(tmp_path)],
            default_user="boot",
        )
    )
    assert (resolved.port, resolved.user, resolved.keys) == (22, "rec", (key,))


def test_bootstrap_defaults_apply_without_config(tmp_path: Path) -> None:
    key = tmp_path / "id_boot"
    key.write_text("x")
    resolved = resolve(
        SshEndpoint(
            cluster="beta",
            host="beta.example.com",
            config_files=[tmp_path / "absent"],
            default_user="boot",
            default_key=key,
        )
    )
    assert (resolved.host, resolved.port, resolved.user, resolved.keys) == ("beta.example.com", 22, "boot", (key,))
    assert resolved.proxy_jump is None and resolved.config_files == ()

"""Bootstrap precedence: defaults < TOML file < environment, and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from clausius.bootstrap import DEFAULT_PORT, load_bootstrap
from clausius.errors import ConfigError


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"HOME": str(tmp_path / "home"), "USER": "alice", **extra}


def _toml(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "conf" / "clausius.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_defaults_without_file_or_env(tmp_path: Path) -> None:
    boot = load_bootstrap(_env(tmp_path), cwd=tmp_path)
    assert boot.port == DEFAULT_PORT
    assert boot.data_dir == (tmp_path / "home" / ".local" / "share" / "clausius").resolve()
    assert boot.ssh_user == "alice"
    assert boot.ssh_key == tmp_path / "home" / ".ssh" / "id_ed25519"
    assert boot.source_file is None
    assert boot.db_path.name == "history.db"


def test_xdg_data_home_moves_the_default(tmp_path: Path) -> None:
    boot = load_bootstrap(_env(tmp_path, XDG_DATA_HOME=str(tmp_path / "xdg")), cwd=tmp_path)
    assert boot.data_dir == (tmp_path / "xdg" / "clausius").resolve()


def test_toml_overrides_defaults_and_resolves_relative_to_the_file(tmp_path: Path) -> None:
    path = _toml(tmp_path, '[bootstrap]\ndata_dir = "../data"\nport = 8123\n[ssh]\nuser = "$USER"\nkey = "~/k"\n')
    boot = load_bootstrap(_env(tmp_path), cwd=tmp_path / "elsewhere")
    assert boot.source_file is None  # ./conf is looked up in the current directory only
    boot = load_bootstrap(_env(tmp_path), cwd=tmp_path)
    assert boot.source_file == path
    assert boot.data_dir == (tmp_path / "data").resolve()
    assert boot.port == 8123
    assert boot.ssh_user == "alice"
    assert boot.ssh_key == tmp_path / "home" / "k"


def test_env_wins_over_toml(tmp_path: Path) -> None:
    _toml(tmp_path, '[bootstrap]\ndata_dir = "/from/toml"\nport = 8123\n[ssh]\nuser = "bob"\nkey = "/toml/key"\n')
    env = _env(
        tmp_path,
        CLAUSIUS_DATA_DIR=str(tmp_path / "envdata"),
        CLAUSIUS_PORT="9001",
        CLAUSIUS_SSH_USER="carol",
        CLAUSIUS_SSH_KEY="/env/key",
    )
    boot = load_bootstrap(env, cwd=tmp_path)
    assert boot.data_dir == (tmp_path / "envdata").resolve()
    assert boot.port == 9001
    assert boot.ssh_user == "carol"
    assert boot.ssh_key == Path("/env/key")


def test_partial_env_keeps_the_rest_of_the_toml(tmp_path: Path) -> None:
    _toml(tmp_path, "[bootstrap]\nport = 8123\n")
    boot = load_bootstrap(_env(tmp_path, CLAUSIUS_SSH_USER="dave"), cwd=tmp_path)
    assert (boot.port, boot.ssh_user) == (8123, "dave")


def test_explicit_bootstrap_file_and_home_config(tmp_path: Path) -> None:
    home_conf = tmp_path / "home" / ".config" / "clausius" / "clausius.toml"
    home_conf.parent.mkdir(parents=True)
    home_conf.write_text("[bootstrap]\nport = 7000\n")
    assert load_bootstrap(_env(tmp_path), cwd=tmp_path).port == 7000
    explicit = tmp_path / "mine.toml"
    explicit.write_text("[bootstrap]\nport = 7001\n")
    assert load_bootstrap(_env(tmp_path, CLAUSIUS_BOOTSTRAP_FILE=str(explicit)), cwd=tmp_path).port == 7001


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("[bootstrap\nport = 1", "malformed TOML"),
        ('[bootstrap]\nport = "abc"\n', "port"),
        ("[bootstrap]\nport = 70000\n", "between 1 and 65535"),
        ("[bootstrap]\nport = true\n", "port"),
        ("[bootstrap]\ndta_dir = 'x'\n", "unknown key 'dta_dir'"),
        ("[server]\nhost = 'x'\n", "unknown section [server]"),
        ("[ssh]\nuser = 'bad user'\n", "[ssh] user"),
        ("[bootstrap]\ndata_dir = ''\n", "data_dir"),
        ("bootstrap = 3\n", "must be a table"),
    ],
)
def test_invalid_file_names_file_key_and_problem(tmp_path: Path, text: str, fragment: str) -> None:
    path = _toml(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_bootstrap(_env(tmp_path), cwd=tmp_path)
    message = str(info.value)
    assert str(path) in message
    assert fragment in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("name", "value"),
    [("CLAUSIUS_PORT", "0"), ("CLAUSIUS_PORT", "http"), ("CLAUSIUS_SSH_USER", "x y")],
)
def test_invalid_env_names_the_variable(tmp_path: Path, name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        load_bootstrap(_env(tmp_path, **{name: value}), cwd=tmp_path)


def test_missing_explicit_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_bootstrap(_env(tmp_path, CLAUSIUS_BOOTSTRAP_FILE=str(tmp_path / "nope.toml")), cwd=tmp_path)

"""Bootstrap configuration: the few values needed before the database is open.

Precedence, lowest to highest: built-in defaults < TOML file < environment.
The TOML file is `$CLAUSIUS_BOOTSTRAP_FILE` if set (it must then exist), else
`./conf/clausius.toml`, else `~/.config/clausius/clausius.toml`; none is
required. Relative paths inside the file are resolved against the file's own
directory, so the same file works whatever the current directory is.
"""

from __future__ import annotations

import getpass
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clausius.errors import ConfigError

DEFAULT_PORT = 7272
DEFAULT_MCP_PORT = 7273  # 0 turns the dedicated MCP port off (MCP stays at /mcp on the main port)
_USERNAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,63}$")

# The only keys the file may hold; anything else is most likely a typo.
_ALLOWED_KEYS: dict[str, set[str]] = {
    "bootstrap": {"data_dir", "port", "mcp_port"},
    "ssh": {"user", "key", "config", "known_hosts"},
}


@dataclass(frozen=True)
class Bootstrap:
    data_dir: Path
    port: int
    ssh_user: str
    ssh_key: Path
    source_file: Path | None
    ssh_config: Path | None = None  # OpenSSH client config (default ~/.ssh/config)
    known_hosts: Path | None = None  # default ~/.ssh/known_hosts
    mcp_port: int = DEFAULT_MCP_PORT

    @property
    def db_path(self) -> Path:
        return self.data_dir / "history.db"

    @property
    def backup_dir(self) -> Path:
        return self.data_dir / "backups"


def _default_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "clausius"


def _default_data_dir(env: Mapping[str, str]) -> Path:
    xdg = env.get("XDG_DATA_HOME")
    base = Path(xdg) if xdg else Path(env.get("HOME", str(Path.home()))) / ".local" / "share"
    return base / "clausius"


def _find_file(env: Mapping[str, str], cwd: Path) -> Path | None:
    explicit = env.get("CLAUSIUS_BOOTSTRAP_FILE")
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_absolute():
            path = cwd / path
        if not path.is_file():
            raise ConfigError(f"{path}: CLAUSIUS_BOOTSTRAP_FILE points to a file that does not exist")
        return path
    home = Path(env.get("HOME", str(Path.home())))
    for candidate in (cwd / "conf" / "clausius.toml", home / ".config" / "clausius" / "clausius.toml"):
        if candidate.is_file():
            return candidate
    return None


def _expand(value: str, env: Mapping[str, str]) -> str:
    """Expand `$VAR`, `${VAR}` and a leading `~` the way a shell would."""

    def sub(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        if name == "USER" and "USER" not in env:
            return _default_user()
        return env.get(name, match.group(0))

    expanded = re.sub(r"\$(?:\{(\w+)\}|(\w+))", sub, value)
    if expanded.startswith("~"):
        expanded = str(Path(env.get("HOME", str(Path.home())))) + expanded[1:]
    return expanded


def _parse_port(raw: Any, where: str, *, allow_zero: bool = False) -> int:
    lowest = 0 if allow_zero else 1
    if isinstance(raw, bool | float):  # TOML's 1e400 is a float (inf): int() of it overflows
        raise ConfigError(f"{where}: port must be an integer between {lowest} and 65535, got {raw!r}")
    try:
        port = int(raw)
    except (TypeError, ValueError, OverflowError):
        raise ConfigError(f"{where}: port must be an integer between {lowest} and 65535, got {raw!r}") from None
    if not lowest <= port <= 65535:
        raise ConfigError(f"{where}: port must be between {lowest} and 65535, got {port}")
    return port


def _parse_user(raw: Any, where: str) -> str:
    if not isinstance(raw, str) or not _USERNAME_RE.match(raw):
        raise ConfigError(f"{where}: not a valid user name: {raw!r}")
    return raw


def _require_str(raw: Any, where: str) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise ConfigError(f"{where}: must be a non-empty string, got {raw!r}")
    if "\x00" in raw or "\n" in raw:
        raise ConfigError(f"{where}: must not contain control characters")
    return raw


def _read_file(path: Path) -> dict[str, dict[str, Any]]:
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: malformed TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start}): TOML files must be UTF-8") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    for section, body in data.items():
        if section not in _ALLOWED_KEYS:
            raise ConfigError(f"{path}: unknown section [{section}] (known: [bootstrap], [ssh])")
        if not isinstance(body, dict):
            raise ConfigError(f"{path}: [{section}] must be a table")
        for key in body:
            if key not in _ALLOWED_KEYS[section]:
                known = ", ".join(sorted(_ALLOWED_KEYS[section]))
                raise ConfigError(f"{path}: unknown key {key!r} in [{section}] (known: {known})")
    return data


def _check_data_dir(path: Path, where: str) -> None:
    """The data directory must be a directory, or creatable: its first existing ancestor a writable directory."""
    if path.exists():
        if not path.is_dir():
            raise ConfigError(f"{where}: {path} is not a directory")
        return
    ancestor = path.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise ConfigError(f"{where}: {path} cannot be created: {ancestor} is not a directory")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise ConfigError(f"{where}: {path} cannot be created: {ancestor} is not writable")


def load_bootstrap(env: Mapping[str, str] | None = None, cwd: Path | None = None) -> Bootstrap:
    """Resolve the bootstrap values; raises ConfigError naming the file/key at fault."""
    env = os.environ if env is None else env
    cwd = Path.cwd() if cwd is None else cwd
    home = Path(env.get("HOME", str(Path.home())))

    data_dir = _default_data_dir(env)
    port = DEFAULT_PORT
    mcp_port = DEFAULT_MCP_PORT
    ssh_user = env.get("USER") or _default_user()
    ssh_key = home / ".ssh" / "id_ed25519"
    ssh_config = home / ".ssh" / "config"
    known_hosts = home / ".ssh" / "known_hosts"

    data_dir_from = "the default data directory"
    source = _find_file(env, cwd)
    if source is not None:
        data = _read_file(source)
        base = source.parent
        boot = data.get("bootstrap", {})
        ssh = data.get("ssh", {})
        if "data_dir" in boot:
            raw = _expand(_require_str(boot["data_dir"], f"{source}: [bootstrap] data_dir"), env)
            data_dir = Path(raw) if Path(raw).is_absolute() else base / raw
            data_dir_from = f"{source}: [bootstrap] data_dir"
        if "port" in boot:
            port = _parse_port(boot["port"], f"{source}: [bootstrap] port")
        if "mcp_port" in boot:
            mcp_port = _parse_port(boot["mcp_port"], f"{source}: [bootstrap] mcp_port", allow_zero=True)
        if "user" in ssh:
            ssh_user = _parse_user(
                _expand(_require_str(ssh["user"], f"{source}: [ssh] user"), env), f"{source}: [ssh] user"
            )
        if "key" in ssh:
            raw = _expand(_require_str(ssh["key"], f"{source}: [ssh] key"), env)
            ssh_key = Path(raw) if Path(raw).is_absolute() else base / raw
        if "config" in ssh:
            raw = _expand(_require_str(ssh["config"], f"{source}: [ssh] config"), env)
            ssh_config = Path(raw) if Path(raw).is_absolute() else base / raw
        if "known_hosts" in ssh:
            raw = _expand(_require_str(ssh["known_hosts"], f"{source}: [ssh] known_hosts"), env)
            known_hosts = Path(raw) if Path(raw).is_absolute() else base / raw

    if env.get("CLAUSIUS_DATA_DIR"):
        raw = _expand(_require_str(env["CLAUSIUS_DATA_DIR"], "CLAUSIUS_DATA_DIR"), env)
        data_dir = Path(raw) if Path(raw).is_absolute() else cwd / raw
        data_dir_from = "CLAUSIUS_DATA_DIR"
    if env.get("CLAUSIUS_PORT"):
        port = _parse_port(env["CLAUSIUS_PORT"], "CLAUSIUS_PORT")
    if env.get("CLAUSIUS_MCP_PORT"):
        mcp_port = _parse_port(env["CLAUSIUS_MCP_PORT"], "CLAUSIUS_MCP_PORT", allow_zero=True)
    if env.get("CLAUSIUS_SSH_USER"):
        ssh_user = _parse_user(env["CLAUSIUS_SSH_USER"], "CLAUSIUS_SSH_USER")
    if env.get("CLAUSIUS_SSH_KEY"):
        raw = _expand(_require_str(env["CLAUSIUS_SSH_KEY"], "CLAUSIUS_SSH_KEY"), env)
        ssh_key = Path(raw) if Path(raw).is_absolute() else cwd / raw

    for name in ("CLAUSIUS_SSH_CONFIG", "CLAUSIUS_KNOWN_HOSTS"):
        if env.get(name):
            raw = _expand(_require_str(env[name], name), env)
            path = Path(raw) if Path(raw).is_absolute() else cwd / raw
            if name == "CLAUSIUS_SSH_CONFIG":
                ssh_config = path
            else:
                known_hosts = path

    _check_data_dir(data_dir, data_dir_from)
    return Bootstrap(
        data_dir=data_dir.resolve(),
        port=port,
        ssh_user=ssh_user,
        ssh_key=ssh_key,
        source_file=source,
        ssh_config=ssh_config,
        known_hosts=known_hosts,
        mcp_port=mcp_port,
    )

"""Runtime settings: `set`, `get`, `reset`, `settings`."""

from __future__ import annotations

import click

from clausius.cli.common import console, fmt, json_option, ok, print_json, print_table, run
from clausius.core.settings_registry import format_bound
from clausius.services.app import Services
from clausius.services.settings import SettingInfo


def _shown(info: SettingInfo) -> str:
    if info.type == "secret":
        return "(set)" if info.is_set else "(not set)"
    return fmt(info.value) + (f" {info.unit}" if info.unit and info.value is not None else "")


@click.command("set")
@click.argument("key")
@click.argument("value")
def set_setting(key: str, value: str) -> None:
    """Change a setting; it takes effect at once, also in a running server.

    Lists are given comma-separated (or as a JSON array); booleans as
    true/false. `clausius settings` shows every key with its range.
    """
    info = run(lambda s: s.settings.set(key, value))
    ok(f"{info.key} = {_shown(info)}")


@click.command("get")
@click.argument("key")
@json_option
def get_setting(key: str, as_json: bool) -> None:
    """Show one setting's value."""
    info = run(lambda s: _info(s, key))
    if as_json:
        print_json(info)
        return
    console.print(_shown(info))


async def _info(s: Services, key: str) -> SettingInfo:
    return s.settings.info(key)


@click.command("reset")
@click.argument("key")
def reset_setting(key: str) -> None:
    """Return a setting to its default."""
    info = run(lambda s: s.settings.reset(key))
    ok(f"{info.key} = {_shown(info)} (default)")


@click.command("settings")
@json_option
def list_settings(as_json: bool) -> None:
    """List every setting with its value, default and description."""
    infos = run(_all)
    if as_json:
        print_json(infos)
        return
    rows = []
    for i in infos:
        bounds = (
            f"{format_bound(i.minimum)}–{format_bound(i.maximum)}"
            if i.minimum is not None and i.maximum is not None
            else "|".join(i.choices or []) or i.type
        )
        about = i.description + (f" [not used yet: comes with {i.not_used_yet}]" if i.not_used_yet else "")
        rows.append([i.key, _shown(i) + ("" if i.is_default else " *"), bounds, about])
    print_table(
        "Settings (* = changed from default)", ["key", "value", "allowed", "description"], rows, empty="no settings"
    )


async def _all(s: Services) -> list[SettingInfo]:
    return s.settings.list()


COMMANDS = [set_setting, get_setting, reset_setting, list_settings]

"""docs/reference.md, generated from the code: every CLI command, MCP tool group, MCP tool and setting.

The reference cannot drift: a test regenerates it and fails when the committed file differs
(`make reference` rewrites it). An entry point, like the CLI: it may import every interface.
"""

from __future__ import annotations

import click

from clausius.core.settings_registry import NOT_USED_YET, SETTINGS, SettingSpec
from clausius.mcp.catalogue import GROUPS, TOOL_GROUPS

HEADER = """# clausius reference

Generated from the code by `make reference` (`python -m clausius.reference`); a test fails when
this file and the code disagree. The README explains; this lists.
"""


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _range(spec: SettingSpec) -> str:
    if spec.choices:
        return " / ".join(spec.choices)
    if spec.minimum is not None or spec.maximum is not None:
        low = "" if spec.minimum is None else f"{spec.minimum:g}"
        high = "" if spec.maximum is None else f"{spec.maximum:g}"
        return f"{low}–{high}" + (f" {spec.unit}" if spec.unit else "")
    return ""


def _default(spec: SettingSpec) -> str:
    if spec.secret:
        return "(unset)"
    value = spec.default
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) or "(empty)"
    return str(value) if value != "" else "(empty)"


def cli_commands() -> dict[str, str]:
    """Registered command name → its one-line help."""
    from clausius.cli import cli

    return {name: command.get_short_help_str(limit=200) for name, command in sorted(cli.commands.items())}


def render() -> str:
    lines = [HEADER, "## CLI commands", "", "| command | what it does |", "|---|---|"]
    for name, short in cli_commands().items():
        lines.append(f"| `clausius {name}` | {_cell(short)} |")
    lines += ["", "## MCP tool groups", "", "| group | tools for |", "|---|---|"]
    for group, about in GROUPS.items():
        lines.append(f"| `{group}` | {_cell(about)} |")
    lines += ["", "## MCP tools", "", "| tool | group |", "|---|---|"]
    for tool, group in TOOL_GROUPS.items():
        lines.append(f"| `{tool}` | {group} |")
    lines += ["", "## Settings", "", "| key | type | default | range | description |", "|---|---|---|---|---|"]
    for spec in SETTINGS:
        about = spec.description + (
            f" *Not used yet: comes with {NOT_USED_YET[spec.key]}.*" if spec.key in NOT_USED_YET else ""
        )
        cells = [f"`{spec.key}`", spec.type, _cell(_default(spec)), _cell(_range(spec)), _cell(about)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    click.echo(render(), nl=False)


if __name__ == "__main__":
    main()

"""The documentation and the code agree (Datasette-style): nothing offered is undocumented, nothing
documented is missing. docs/reference.md is generated; the README's CLI reference is written by hand."""

from __future__ import annotations

import re
from pathlib import Path

from clausius.reference import cli_commands, render

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
# Words after `clausius ` in prose that are not commands (the program, its SDK and package names).
NOT_COMMANDS = {"serve's", "mcp's"}


def _cli_block() -> str:
    start = README.index("## CLI reference")
    return README[start : README.index("\n## ", start + 1)]


def test_the_generated_reference_is_current() -> None:
    committed = (ROOT / "docs" / "reference.md").read_text(encoding="utf-8")
    assert committed == render(), "docs/reference.md is stale: run `make reference`"


def test_every_command_is_in_the_readme_cli_reference() -> None:
    block = _cli_block()
    missing = [name for name in cli_commands() if not re.search(rf"(?:clausius |\| ){re.escape(name)}(?![\w-])", block)]
    assert missing == [], f"commands missing from the README's CLI reference: {missing}"


def test_every_command_the_readme_names_exists() -> None:
    named = set(re.findall(r"`clausius ([a-z][a-z-]*)", README)) | set(
        re.findall(r"^clausius ([a-z][a-z-]*)", README, re.MULTILINE)
    )
    unknown = sorted(named - set(cli_commands()) - NOT_COMMANDS)
    assert unknown == [], f"the README names commands that do not exist: {unknown}"

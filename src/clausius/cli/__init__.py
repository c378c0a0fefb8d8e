"""The `clausius` command: every subcommand calls the same services as the web UI and MCP.

Errors are printed as one line on stderr with a non-zero exit (2 for bad
input, 1 otherwise); tracebacks only with CLAUSIUS_DEBUG=1.
"""

from __future__ import annotations

import os
import sys
from typing import NoReturn

import click

from clausius.cli import (
    admin_cmds,
    board_cmds,
    config_cmds,
    history_cmds,
    job_cmds,
    log_cmds,
    mcp_cmds,
    settings_cmds,
)
from clausius.cli.common import echo_error
from clausius.errors import ClausiusError
from clausius.services.interface import current_interface


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="clausius", prog_name="clausius")
def cli() -> None:
    """clausius: your Slurm jobs on every cluster, on one board.

    Configuration lives in the database under the data directory; these
    commands, the web UI and the MCP tools all change the same records.
    """


for module in (admin_cmds, board_cmds, config_cmds, history_cmds, job_cmds, log_cmds, mcp_cmds, settings_cmds):
    for command in module.COMMANDS:
        cli.add_command(command)


def main(argv: list[str] | None = None) -> NoReturn:
    current_interface.set("cli")
    debug = os.environ.get("CLAUSIUS_DEBUG") == "1"
    try:
        cli.main(args=argv, prog_name="clausius", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.UsageError as exc:
        where = (
            f"clausius {exc.ctx.command_path.split(' ', 1)[1]}"
            if exc.ctx and " " in exc.ctx.command_path
            else "clausius"
        )
        echo_error(f"{exc.format_message()} (see `{where} --help`)")
        sys.exit(2)
    except click.Abort:
        echo_error("aborted")
        sys.exit(1)
    except ClausiusError as exc:
        echo_error(str(exc))
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        echo_error("interrupted")
        sys.exit(130)
    except Exception as exc:
        if debug:
            raise
        echo_error(f"internal error: {type(exc).__name__}: {exc} (run with CLAUSIUS_DEBUG=1 for details)")
        sys.exit(70)
    sys.exit(0)

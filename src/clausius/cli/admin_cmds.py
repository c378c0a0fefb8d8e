"""Set-up, serving, backups, restore and the v3 import."""

from __future__ import annotations

import asyncio
import os
import sys
import webbrowser
from datetime import UTC, datetime
from pathlib import Path

import click

from clausius.bootstrap import load_bootstrap
from clausius.cli.common import build, console, endpoint, json_option, ok, print_json, print_table, run, services
from clausius.core.config_models import ClusterSpec
from clausius.errors import ConfigError
from clausius.services.app import Services
from clausius.store import backups as backup_store
from clausius.store.lock import DataDirLock
from clausius.web.sessions import SessionStore


def _ask(question: str, default: str = "") -> str:
    """Prompt on a terminal; without one, read a line from stdin (EOF means the default)."""
    if sys.stdin.isatty():
        return str(click.prompt(question, default=default, show_default=bool(default)))
    suffix = f" [{default}]" if default else ""
    click.echo(f"{question}{suffix}: ", nl=False, err=True)
    line = sys.stdin.readline()
    click.echo("", err=True)
    answer = line.strip()
    return answer or default


def _interactive_setup(svc: Services) -> None:
    team = _ask("Team name (optional)", svc.settings.get_str("team_name"))
    if team != svc.settings.get_str("team_name"):
        asyncio.run(svc.settings.set("team_name", team))
    if _ask("Add a cluster now? (y/n)", "n").lower() not in ("y", "yes"):
        return
    name = _ask("Cluster name (e.g. eos)")
    host = _ask("Login node host")
    fields: dict[str, object] = {"name": name, "host": host}
    port = _ask("SSH port", "22")
    fields["port"] = int(port) if port.isdigit() else port
    for key, question in (
        ("user", f"SSH user (empty: {svc.boot.ssh_user})"),
        ("gpu_type", "GPU type (e.g. H100)"),
        ("gpus_per_node", "GPUs per node"),
        ("account", "Default Slurm account (PPP)"),
    ):
        answer = _ask(question)
        if answer:
            fields[key] = answer
    mount = _ask("Remote output root to browse (optional)")
    fields["mount_paths"] = [mount] if mount else []
    spec = build(ClusterSpec, **fields)
    cluster = asyncio.run(svc.clusters.add(spec))
    ok(f"added cluster {cluster.name} ({endpoint(cluster)})")


@click.command("setup")
@click.option("--non-interactive", is_flag=True, help="Create the database and ask nothing.")
def setup(non_interactive: bool) -> None:
    """Create (or upgrade) the database, then optionally register a first cluster."""
    boot = load_bootstrap()
    with services() as svc:
        version = svc.db.schema_version()
        ok(f"data directory: {boot.data_dir}")
        ok(f"database: {boot.db_path} (schema version {version})")
        ok(f"bootstrap file: {boot.source_file or 'none (defaults and environment)'}")
        if not non_interactive:
            _interactive_setup(svc)
        count = len(asyncio.run(svc.clusters.list()))
    ok(f"ready: {count} cluster(s) configured. Start the dashboard with `clausius serve`.")


@click.command("serve")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to bind (loopback by default; the access token is always required unless --no-auth).",
)
@click.option("--port", type=click.IntRange(1, 65535), help="Port (default: bootstrap port, 7272).")
@click.option(
    "--token-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="File holding the access token (default: CLAUSIUS_ACCESS_TOKEN, else <data dir>/access-token, created).",
)
@click.option(
    "--mcp-port", type=click.IntRange(0, 65535), help="Dedicated MCP port (default: bootstrap mcp_port, 7273; 0 = off)."
)
@click.option(
    "--no-auth",
    is_flag=True,
    help="No access token (loopback only). Only for a machine nobody else logs in to: every local user could act "
    "as you.",
)
def serve(host: str, port: int | None, token_file: Path | None, mcp_port: int | None, no_auth: bool) -> None:
    """Run the dashboard (web UI, API and MCP server) in this process; prints a one-time login link."""
    from clausius.web.server import run_server

    run_server(host=host, port=port, token_file=token_file, mcp_port=mcp_port, no_auth=no_auth)


@click.command("open")
@click.option("--print-only", is_flag=True, help="Print the one-time login link instead of opening a browser.")
def open_browser(print_only: bool) -> None:
    """Open the running dashboard in a browser, logged in by a one-time link (valid 15 minutes)."""
    from clausius.web.server import login_link

    link = login_link(load_bootstrap().data_dir)
    if print_only or not webbrowser.open(link):
        click.echo(link)


@click.command("rotate-token")
def rotate_token() -> None:
    """Replace the access token: the old one stops working and every browser session ends (a running
    service follows within a second; the CLI and the stdio MCP relay read the new one themselves)."""
    from clausius.web.auth import token_path, write_new_token
    from clausius.web.server import running_service_token_file

    boot = load_bootstrap()
    if os.environ.get("CLAUSIUS_ACCESS_TOKEN", "").strip():
        raise ConfigError("the access token comes from CLAUSIUS_ACCESS_TOKEN: change it there and restart the service")
    path = token_path(boot.data_dir)
    followed = running_service_token_file(boot.data_dir)
    if followed is not None and followed != path:
        raise ConfigError(
            "the running service takes its access token from its --token-file, not the data directory",
            hint="write a new token into that file; the service follows it",
        )
    write_new_token(path)
    with services() as svc:
        ended = asyncio.run(SessionStore(svc.db).revoke_all_stored())
    ok(f"new access token written to {path} (owner-only); {ended} stored browser session(s) ended")
    click.echo("Browsers log in again with `clausius open`; agents using the HTTP form need the new token.")


@click.command("backup")
@json_option
def backup(as_json: bool) -> None:
    """Back up the database now (online; safe while the server runs) and apply retention."""
    result = run(lambda s: s.backups.backup_now())
    if as_json:
        print_json(result)
        return
    ok(f"backup written: {result.created.file} ({result.created.size_bytes} bytes)")
    if result.deleted:
        ok(f"deleted {len(result.deleted)} old backup(s), keeping the newest {result.kept}")


@click.command("backups")
@json_option
def list_backups(as_json: bool) -> None:
    """List backups, newest first."""
    found = run(lambda s: s.backups.list())
    if as_json:
        print_json(found)
        return
    print_table(
        "Backups",
        ["file", "taken (UTC)", "size"],
        [[b.file, f"{b.taken_at:%Y-%m-%d %H:%M:%S}", b.size_bytes] for b in found],
        empty="no backups yet: `clausius backup` takes one",
    )


@click.command("restore")
@click.argument("backup_file", type=click.Path(path_type=Path))
def restore(backup_file: Path) -> None:
    """Replace the database with a backup (refused while `clausius serve` runs).

    BACKUP_FILE may be a path or a file name from `clausius backups`. The
    current database is saved under backups/pre-restore/ first.
    """
    boot = load_bootstrap()
    path = backup_file
    if not path.exists() and (boot.backup_dir / backup_file.name).exists():
        path = boot.backup_dir / backup_file.name
    with DataDirLock(boot.data_dir, "restore", "stop `clausius serve` before restoring"):
        safety = backup_store.restore_backup(path, boot.db_path, boot.backup_dir / "pre-restore")
    ok(f"restored {path.name} into {boot.db_path}")
    if safety:
        ok(f"the previous database was saved as {safety}")


@click.command("import-json")
@click.argument("config_file", type=click.Path(path_type=Path))
@click.option("--keep", is_flag=True, help="Do not rename the file to .bak afterwards.")
@json_option
def import_json(config_file: Path, keep: bool, as_json: bool) -> None:
    """Import a v3 config.json (clusters, team, PPPs, paths, filters, projects, settings).

    Safe to re-run: entries that already exist are skipped.
    """
    report = run(lambda s: s.legacy.import_file(config_file, rename=not keep))
    if as_json:
        print_json(report)
        return
    added = ", ".join(f"{n} {k}" for k, n in report.added.items() if n) or "nothing new"
    skipped = sum(report.skipped.values())
    ok(f"imported {added}" + (f"; skipped {skipped} already present" if skipped else ""))
    for warning in report.warnings:
        console.print(f"warning: {warning}")
    if report.renamed_to:
        ok(f"renamed {report.source} to {report.renamed_to}")


@click.command("audit")
@click.option("--limit", type=click.IntRange(1, 1000), default=30, show_default=True)
@json_option
def audit(limit: int, as_json: bool) -> None:
    """Show recent changes (configuration, backups, actions) and which interface made them."""
    entries = run(lambda s: s.audit_log(limit))
    if as_json:
        print_json(entries)
        return
    print_table(
        "Audit log (newest first)",
        ["time (UTC)", "via", "action", "target", "detail"],
        [
            [datetime.fromtimestamp(e.ts, UTC).strftime("%Y-%m-%d %H:%M:%S"), e.interface, e.action, e.target, e.detail]
            for e in entries
        ],
        empty="nothing recorded yet",
    )


COMMANDS = [setup, serve, open_browser, rotate_token, backup, list_backups, restore, import_json, audit]

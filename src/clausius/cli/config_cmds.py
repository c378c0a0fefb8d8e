"""Commands for the configuration registry: clusters, team, PPP accounts, paths, filters, projects."""

from __future__ import annotations

from typing import Any

import click

from clausius.cli.common import build, endpoint, json_option, ok, print_json, print_table, run
from clausius.core.config_models import (
    AccountSpec,
    AccountUpdate,
    ClusterSpec,
    ClusterUpdate,
    PathBaseSpec,
    ProcessFilterSpec,
    ProjectSpec,
    ProjectUpdate,
    TeamMemberSpec,
)
from clausius.core.validation import STORE_INT_MAX
from clausius.errors import ClausiusError, InvalidInput


def _quota(raw: str | None) -> int | str | None:
    if raw is None:
        return None
    if raw.strip().lower() == "any":
        return "any"
    try:
        return int(raw)
    except ValueError:
        raise InvalidInput(f"invalid team quota {raw!r}: a number of GPUs or 'any'") from None


def _cluster_options(fn: Any) -> Any:
    options = [
        click.option("--port", type=int, help="SSH port (default: ~/.ssh/config, else 22)."),
        click.option("--user", help="SSH user (default: the bootstrap ssh user)."),
        click.option("--key", help="Private key file for this cluster."),
        click.option("--data-host", help="Data-copier node used for file reads."),
        click.option("--gpu-type", help="GPU model, e.g. H100."),
        click.option("--gpus-per-node", type=int, help="GPUs per node."),
        click.option("--gpu-mem-gb", type=int, help="Memory per GPU in GB."),
        click.option("--account", help="Default Slurm account (PPP)."),
        click.option("--mount-path", "mount_paths", multiple=True, help="Remote output root (repeatable)."),
        click.option("--team-quota", help="Informal weekly team GPU quota: a number or 'any'."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


@click.command("add-cluster")
@click.argument("name")
@click.option("--host", required=True, help="Login node host name, IP or ~/.ssh/config alias.")
@_cluster_options
def add_cluster(name: str, host: str, mount_paths: tuple[str, ...], team_quota: str | None, **fields: Any) -> None:
    """Register a cluster reached over SSH."""
    given = {k: v for k, v in fields.items() if v is not None}
    spec = build(
        ClusterSpec, name=name, host=host, mount_paths=list(mount_paths), team_quota=_quota(team_quota), **given
    )
    cluster = run(lambda s: s.clusters.add(spec))
    ok(f"added cluster {cluster.name} ({endpoint(cluster)})")


@click.command("update-cluster")
@click.argument("name")
@click.option("--host", help="Login node host name, IP or ~/.ssh/config alias.")
@_cluster_options
@click.option(
    "--clear",
    "clear",
    multiple=True,
    metavar="FIELD",
    help="Clear an optional field (user, key, data_host, gpu_type, ...); repeatable.",
)
def update_cluster(
    name: str, mount_paths: tuple[str, ...], team_quota: str | None, clear: tuple[str, ...], **fields: Any
) -> None:
    """Change some fields of a cluster; fields not given keep their value."""
    patch: dict[str, Any] = {k: v for k, v in fields.items() if v is not None}
    if mount_paths:
        patch["mount_paths"] = list(mount_paths)
    if team_quota is not None:
        patch["team_quota"] = _quota(team_quota)
    for field in clear:
        key = field.replace("-", "_")
        if key not in ClusterUpdate.model_fields or key == "host":
            raise InvalidInput(f"cannot clear {field!r}")
        patch[key] = [] if key == "mount_paths" else None
    if not patch:
        raise InvalidInput("nothing to change: give at least one option")
    update = build(ClusterUpdate, **patch)
    cluster = run(lambda s: s.clusters.update(name, update))
    ok(f"updated cluster {cluster.name}")


@click.command("list-clusters")
@json_option
def list_clusters(as_json: bool) -> None:
    """List registered clusters."""
    clusters = run(lambda s: s.clusters.list())
    if as_json:
        print_json(clusters)
        return
    print_table(
        "Clusters",
        ["name", "host", "port", "user", "gpus", "account", "mount paths", "team quota"],
        [
            [
                c.name,
                c.host + (f" (data: {c.data_host})" if c.data_host else ""),
                c.port,
                c.user,
                f"{c.gpus_per_node or '?'}× {c.gpu_type}" if c.gpu_type else None,
                c.account,
                c.mount_paths,
                c.team_quota,
            ]
            for c in clusters
        ],
        empty="no clusters yet: add one with `clausius add-cluster NAME --host HOST`",
    )


@click.command("remove-cluster")
@click.argument("name")
def remove_cluster(name: str) -> None:
    """Forget a cluster (its job history stays)."""
    run(lambda s: s.clusters.remove(name))
    ok(f"removed cluster {name}")


@click.command("ping")
@click.argument("name")
@json_option
def ping(name: str, as_json: bool) -> None:
    """Check that a cluster answers (one Slurm command over SSH, timed)."""
    result = run(lambda s: s.ping(name))
    if as_json:
        print_json(result)
    elif result.ok:
        ok(f"{name}: {result.slurm} ({result.seconds * 1000:.0f} ms)")
    else:
        raise ClausiusError(f"{name}: the login node answered but Slurm failed: {result.error}")


@click.command("trust-host-key")
@click.argument("name")
@click.option("--fingerprint", required=True, help="The SHA256:... fingerprint you verified out of band.")
def trust_host_key(name: str, fingerprint: str) -> None:
    """Trust a cluster's SSH host key after checking its fingerprint (unknown keys are never accepted)."""
    trusted = run(lambda s: s.transports.trust_host_key(name, fingerprint))
    ok(f"trusted {trusted.algorithm} {trusted.fingerprint} for {name} ({trusted.host}:{trusted.port})")


@click.command("add-team-member")
@click.argument("username")
@click.option("--display-name", help="Name shown in the UI.")
def add_team_member(username: str, display_name: str | None) -> None:
    """Add a team member (for team usage overlays)."""
    spec = build(TeamMemberSpec, username=username, display_name=display_name)
    run(lambda s: s.registry.add_team_member(spec))
    ok(f"added team member {spec.username}")


@click.command("list-team")
@json_option
def list_team(as_json: bool) -> None:
    """List team members."""
    members = run(lambda s: s.registry.list_team())
    if as_json:
        print_json(members)
        return
    print_table(
        "Team",
        ["username", "display name"],
        [[m.username, m.display_name] for m in members],
        empty="no team members yet: add one with `clausius add-team-member USERNAME`",
    )


@click.command("remove-team-member")
@click.argument("username")
def remove_team_member(username: str) -> None:
    """Remove a team member."""
    run(lambda s: s.registry.remove_team_member(username))
    ok(f"removed team member {username}")


@click.command("add-ppp")
@click.argument("name")
@click.option("--id", "lustre_id", type=int, help="Lustre project id (for storage quotas).")
@click.option("--description", help="Free text.")
def add_ppp(name: str, lustre_id: int | None, description: str | None) -> None:
    """Add a PPP (Slurm account) to track."""
    spec = build(AccountSpec, name=name, lustre_id=lustre_id, description=description)
    run(lambda s: s.registry.add_account(spec))
    ok(f"added PPP account {spec.name}")


@click.command("update-ppp")
@click.argument("name")
@click.option("--id", "lustre_id", type=int, help="Lustre project id.")
@click.option("--description", help="Free text.")
def update_ppp(name: str, lustre_id: int | None, description: str | None) -> None:
    """Change a PPP account's Lustre id or description."""
    patch = {k: v for k, v in {"lustre_id": lustre_id, "description": description}.items() if v is not None}
    if not patch:
        raise InvalidInput("nothing to change: give --id or --description")
    update = build(AccountUpdate, **patch)
    run(lambda s: s.registry.update_account(name, update))
    ok(f"updated PPP account {name}")


@click.command("list-ppp")
@json_option
def list_ppp(as_json: bool) -> None:
    """List PPP accounts."""
    accounts = run(lambda s: s.registry.list_accounts())
    if as_json:
        print_json(accounts)
        return
    print_table(
        "PPP accounts",
        ["name", "lustre id", "description"],
        [[a.name, a.lustre_id, a.description] for a in accounts],
        empty="no PPP accounts yet: add one with `clausius add-ppp NAME`",
    )


@click.command("remove-ppp")
@click.argument("name")
def remove_ppp(name: str) -> None:
    """Stop tracking a PPP account."""
    run(lambda s: s.registry.remove_account(name))
    ok(f"removed PPP account {name}")


_KINDS = click.Choice(["log_search", "nemo_run", "lustre_prefix"])


@click.command("add-path")
@click.argument("path")
@click.option("--kind", type=_KINDS, required=True, help="What the path is used for.")
def add_path(path: str, kind: str) -> None:
    """Add a path base (log search root, NeMo-Run output root, Lustre prefix)."""
    spec = build(PathBaseSpec, kind=kind, path=path)
    added = run(lambda s: s.registry.add_path(spec))
    ok(f"added {added.kind} path {added.path} (id {added.id})")


@click.command("list-paths")
@click.option("--kind", type=_KINDS, help="Only this kind.")
@json_option
def list_paths(kind: str | None, as_json: bool) -> None:
    """List path bases."""
    paths = run(lambda s: s.registry.list_paths(kind))  # type: ignore[arg-type]
    if as_json:
        print_json(paths)
        return
    print_table(
        "Paths",
        ["id", "kind", "path"],
        [[p.id, p.kind, p.path] for p in paths],
        empty="no paths yet: add one with `clausius add-path --kind log_search PATH`",
    )


@click.command("remove-path")
@click.argument("path_id", type=click.IntRange(1, STORE_INT_MAX), metavar="ID")
def remove_path(path_id: int) -> None:
    """Remove a path base by id (see list-paths)."""
    run(lambda s: s.registry.remove_path(path_id))
    ok(f"removed path {path_id}")


@click.command("add-filter")
@click.argument("pattern")
@click.option("--mode", type=click.Choice(["include", "exclude"]), required=True)
def add_filter(pattern: str, mode: str) -> None:
    """Add a local process filter for the `local` pseudo-cluster."""
    spec = build(ProcessFilterSpec, mode=mode, pattern=pattern)
    added = run(lambda s: s.registry.add_filter(spec))
    ok(f"added {added.mode} filter {added.pattern!r} (id {added.id})")


@click.command("list-filters")
@json_option
def list_filters(as_json: bool) -> None:
    """List local process filters."""
    filters = run(lambda s: s.registry.list_filters())
    if as_json:
        print_json(filters)
        return
    print_table(
        "Process filters",
        ["id", "mode", "pattern"],
        [[f.id, f.mode, f.pattern] for f in filters],
        empty="no process filters yet: add one with `clausius add-filter --mode include PATTERN`",
    )


@click.command("remove-filter")
@click.argument("filter_id", type=click.IntRange(1, STORE_INT_MAX), metavar="ID")
def remove_filter(filter_id: int) -> None:
    """Remove a process filter by id (see list-filters)."""
    run(lambda s: s.registry.remove_filter(filter_id))
    ok(f"removed filter {filter_id}")


@click.command("add-project")
@click.argument("name")
@click.option("--prefix", help="Job-name prefix (default NAME_).")
@click.option("--color", help="#RRGGBB (default: next palette colour).")
@click.option("--emoji", help="Emoji (default: next in the palette).")
def add_project(name: str, prefix: str | None, color: str | None, emoji: str | None) -> None:
    """Register a project (projects are also detected from job names automatically)."""
    spec = build(ProjectSpec, name=name, prefix=prefix, color=color, emoji=emoji)
    project = run(lambda s: s.projects.add(spec))
    ok(f"added project {project.emoji} {project.name} (prefix {project.prefix}, colour {project.color})")


@click.command("update-project")
@click.argument("name")
@click.option("--prefix")
@click.option("--color")
@click.option("--emoji")
def update_project(name: str, prefix: str | None, color: str | None, emoji: str | None) -> None:
    """Change a project's prefix, colour or emoji."""
    patch = {k: v for k, v in {"prefix": prefix, "color": color, "emoji": emoji}.items() if v is not None}
    if not patch:
        raise InvalidInput("nothing to change: give --prefix, --color or --emoji")
    update = build(ProjectUpdate, **patch)
    run(lambda s: s.projects.update(name, update))
    ok(f"updated project {name}")


@click.command("list-projects")
@json_option
def list_projects(as_json: bool) -> None:
    """List projects with their prefixes and styles."""
    projects = run(lambda s: s.projects.list())
    if as_json:
        print_json(projects)
        return
    print_table(
        "Projects",
        ["", "name", "prefix", "colour"],
        [[p.emoji, p.name, p.prefix, p.color] for p in projects],
        empty="no projects yet: they appear when jobs named <project>_<campaign>_<details> are seen",
    )


@click.command("remove-project")
@click.argument("name")
def remove_project(name: str) -> None:
    """Remove a project's registration (it is re-detected from job names if jobs still use it)."""
    run(lambda s: s.projects.remove(name))
    ok(f"removed project {name}")


COMMANDS = [
    add_cluster,
    update_cluster,
    list_clusters,
    remove_cluster,
    ping,
    trust_host_key,
    add_team_member,
    list_team,
    remove_team_member,
    add_ppp,
    update_ppp,
    list_ppp,
    remove_ppp,
    add_path,
    list_paths,
    remove_path,
    add_filter,
    list_filters,
    remove_filter,
    add_project,
    update_project,
    list_projects,
    remove_project,
]

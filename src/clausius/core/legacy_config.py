"""Reading the v3 `config.json` into an import plan (pure; applying it is a service).

The v3 file held everything in one JSON object: clusters with their SSH and GPU
details, the team, PPP accounts (`ppp_accounts` plus `ppps` name → Lustre id),
informal team GPU quotas per cluster, search paths, local process filters,
project styles and a handful of tunables. See original-behaviour.md §3.4.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from clausius.core.config_models import (
    AccountSpec,
    ClusterSpec,
    PathBaseSpec,
    PathKind,
    ProcessFilterSpec,
    ProjectSpec,
    TeamMemberSpec,
)
from clausius.core.settings_registry import REGISTRY, SettingValue, coerce
from clausius.errors import ClausiusError, InvalidInput

# v3 top-level keys that map straight onto settings of the same name.
_SETTING_KEYS = (
    "ssh_timeout",
    "cache_fresh_sec",
    "stats_interval_sec",
    "backup_interval_hours",
    "backup_max_keep",
    "sdk_ingest_token",
    "aihub_opensearch_url",
    "dashboard_url",
    "aihub_cache_ttl_sec",
    "wds_snapshot_interval_sec",
)
_PATH_KEYS: dict[str, PathKind] = {
    "log_search_bases": "log_search",
    "nemo_run_bases": "nemo_run",
    "mount_lustre_prefixes": "lustre_prefix",
}
_IGNORED_KEYS = {"port"}  # bootstrap values live in conf/clausius.toml now


@dataclass
class ImportPlan:
    clusters: list[ClusterSpec] = field(default_factory=list)
    team: list[TeamMemberSpec] = field(default_factory=list)
    accounts: list[AccountSpec] = field(default_factory=list)
    paths: list[PathBaseSpec] = field(default_factory=list)
    filters: list[ProcessFilterSpec] = field(default_factory=list)
    projects: list[ProjectSpec] = field(default_factory=list)
    settings: dict[str, SettingValue] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"])
    msg = str(err["msg"]).removeprefix("Value error, ")
    return f"{where}: {msg}" if where else msg


def _list(body: dict[str, Any], key: str, label: str, plan: ImportPlan) -> list[Any]:
    """A list-valued entry; anything else is a warning (a bare string would otherwise be read letter by letter)."""
    value = body.get(key)
    if not value:
        return []
    if not isinstance(value, list):
        plan.warnings.append(f"{label}: expected a list, ignored")
        return []
    return value


def _cluster(name: str, body: Any, quotas: dict[str, Any], plan: ImportPlan) -> None:
    if not isinstance(body, dict):
        plan.warnings.append(f"cluster {name!r}: expected an object, skipped")
        return
    if name == "local":
        return  # the local pseudo-cluster is built in
    fields = {
        k: body.get(k)
        for k in ("host", "port", "user", "key", "data_host", "gpu_type", "gpus_per_node", "gpu_mem_gb", "account")
        if body.get(k) not in (None, "")
    }
    mounts = body.get("mount_paths") or []
    quota = quotas.get(name)
    try:
        plan.clusters.append(
            ClusterSpec.model_validate({**fields, "name": name, "mount_paths": mounts, "team_quota": quota})
        )
    except ValidationError as exc:
        plan.warnings.append(f"cluster {name!r} skipped: {_first_error(exc)}")
    if body.get("mount_aliases"):
        plan.warnings.append(f"cluster {name!r}: mount_aliases are not imported (mounts come with a later version)")


def plan_import(data: Any) -> ImportPlan:
    """Translate a parsed v3 config into specs; invalid entries become warnings, not failures."""
    if not isinstance(data, dict):
        raise InvalidInput("config.json must contain a JSON object at the top level")
    plan = ImportPlan()
    quotas = data.get("team_gpu_allocations") or {}
    if not isinstance(quotas, dict):
        plan.warnings.append("team_gpu_allocations: expected an object, ignored")
        quotas = {}
    clusters = data.get("clusters") or {}
    if isinstance(clusters, dict):
        for name, body in clusters.items():
            _cluster(str(name), body, quotas, plan)
    else:
        plan.warnings.append("clusters: expected an object, ignored")

    for member in _list(data, "team_members", "team_members", plan):
        raw = {"username": member} if isinstance(member, str) else member
        if not isinstance(raw, dict):
            plan.warnings.append(f"team member {member!r} skipped: expected a name or an object")
            continue
        try:
            plan.team.append(
                TeamMemberSpec.model_validate(
                    {"username": raw.get("username"), "display_name": raw.get("display_name")}
                )
            )
        except ValidationError as exc:
            plan.warnings.append(f"team member {member!r} skipped: {_first_error(exc)}")

    lustre_ids = data.get("ppps") or {}
    if not isinstance(lustre_ids, dict):
        plan.warnings.append("ppps: expected an object, ignored")
        lustre_ids = {}
    names = list(dict.fromkeys(str(n) for n in [*_list(data, "ppp_accounts", "ppp_accounts", plan), *lustre_ids]))
    for name in names:
        lustre = lustre_ids.get(name)
        try:
            plan.accounts.append(AccountSpec(name=name, lustre_id=int(lustre) if lustre not in (None, "") else None))
        except (ValidationError, TypeError, ValueError) as exc:
            detail = _first_error(exc) if isinstance(exc, ValidationError) else "invalid Lustre id"
            plan.warnings.append(f"account {name!r} skipped: {detail}")

    for key, kind in _PATH_KEYS.items():
        for path in _list(data, key, key, plan):
            try:
                plan.paths.append(PathBaseSpec(kind=kind, path=path))
            except ValidationError as exc:
                plan.warnings.append(f"{key} entry {path!r} skipped: {_first_error(exc)}")

    filters = data.get("local_process_filters") or {}
    if not isinstance(filters, dict):
        plan.warnings.append("local_process_filters: expected an object, ignored")
        filters = {}
    for mode in ("include", "exclude"):
        for pattern in _list(filters, mode, f"local_process_filters.{mode}", plan):
            try:
                plan.filters.append(ProcessFilterSpec(mode=mode, pattern=pattern))
            except ValidationError as exc:
                plan.warnings.append(f"{mode} filter {pattern!r} skipped: {_first_error(exc)}")

    projects = data.get("projects") or {}
    for name, style in projects.items() if isinstance(projects, dict) else []:
        style = style if isinstance(style, dict) else {}
        try:
            plan.projects.append(
                ProjectSpec(name=name, **{k: style[k] for k in ("prefix", "color", "emoji") if style.get(k)})
            )
        except ValidationError as exc:
            plan.warnings.append(f"project {name!r} skipped: {_first_error(exc)}")

    for key in _SETTING_KEYS:
        if data.get(key) not in (None, ""):
            try:
                plan.settings[key] = coerce(REGISTRY[key], data[key])
            except ClausiusError as exc:
                plan.warnings.append(f"setting {key} skipped: {exc.message}")
    if data.get("team"):
        try:
            plan.settings["team_name"] = coerce(REGISTRY["team_name"], str(data["team"]))
        except ClausiusError as exc:
            plan.warnings.append(f"team skipped: {exc.message}")

    known = {
        "clusters",
        "team_gpu_allocations",
        "team_members",
        "ppp_accounts",
        "ppps",
        "local_process_filters",
        "projects",
        "team",
        *_SETTING_KEYS,
        *_PATH_KEYS,
        *_IGNORED_KEYS,
    }
    for key in sorted(set(data) - known):
        plan.warnings.append(f"unknown key {key!r} ignored")
    return plan

"""The MCP tool catalogue: which group each tool is in, and which seed tools come later.

`SEED_TOOLS` is the contract with the seed README's tool table: every name in it is
either offered now (its group) or listed with the capability that will bring it. A
test fails when a seed name is in neither place, or when a "later" tool is offered
without its entry being updated.
"""

from __future__ import annotations

from typing import Final

GROUPS: Final[dict[str, str]] = {
    "jobs": "the live board, history, logs, stats, runs, waiting, cancelling",
    "config": "clusters, team, PPP accounts, paths, process filters, settings",
    "compute": "running scripts on clusters; later: allocations, partitions, where to submit",
    "logbook": "notes and plans (comes with the logbook issue)",
    "admin": "history clean-up and the audit log",
}

# Every tool offered now, by group. Tools beyond the seed are marked in SKILL.md.
TOOL_GROUPS: Final[dict[str, str]] = {
    # jobs
    "list_jobs": "jobs",
    "get_job_log": "jobs",
    "list_log_files": "jobs",
    "get_job_stats": "jobs",
    "get_history": "jobs",
    "list_projects": "jobs",
    "get_project_jobs": "jobs",
    "get_run_info": "jobs",
    "get_pending_reason": "jobs",
    "wait_for_job": "jobs",
    "cancel_job": "jobs",
    "cancel_jobs": "jobs",
    "clear_failed": "jobs",
    "clear_completed": "jobs",
    "get_cluster_status": "jobs",
    # compute
    "run_script": "compute",
    # config
    "list_cluster_configs": "config",
    "get_cluster_config": "config",
    "add_cluster_config": "config",
    "update_cluster_config": "config",
    "remove_cluster_config": "config",
    "list_team_members": "config",
    "add_team_member": "config",
    "remove_team_member": "config",
    "list_ppp_accounts": "config",
    "add_ppp_account": "config",
    "update_ppp_account": "config",
    "remove_ppp_account": "config",
    "list_path_bases": "config",
    "add_path_base": "config",
    "remove_path_base": "config",
    "list_process_filters": "config",
    "add_process_filter": "config",
    "remove_process_filter": "config",
    "get_app_setting": "config",
    "set_app_setting": "config",
    "list_app_settings": "config",
    # admin
    "cleanup_history": "admin",
    "get_audit_log": "admin",
}

NOW = "now"

# The seed README's table, name by name: NOW, or the capability (issue) that brings it.
SEED_TOOLS: Final[dict[str, str]] = {
    "where_to_submit": "allocations, fair-share and where-to-submit issue",
    "get_ppp_allocations": "allocations, fair-share and where-to-submit issue",
    "get_gpu_usage_history": "allocations, fair-share and where-to-submit issue",
    "list_jobs": NOW,
    "get_job_log": NOW,
    "get_job_stats": NOW,
    "list_log_files": NOW,
    "get_history": NOW,
    "list_projects": NOW,
    "get_project_jobs": NOW,
    "cancel_job": NOW,
    "cancel_jobs": NOW,
    "get_run_info": NOW,
    "run_script": NOW,
    "cleanup_history": NOW,
    "list_cluster_configs": NOW,
    "get_cluster_config": NOW,
    "add_cluster_config": NOW,
    "update_cluster_config": NOW,
    "remove_cluster_config": NOW,
    "get_cluster_status": NOW,
    "get_team_gpu_status": "allocations, fair-share and where-to-submit issue",
    "get_cluster_availability": "allocations, fair-share and where-to-submit issue",
    "get_partitions": "allocations, fair-share and where-to-submit issue",
    "get_partition_summary": "allocations, fair-share and where-to-submit issue",
    "recommend_submission": "allocations, fair-share and where-to-submit issue",
    "get_storage_quota": "storage quota / mounts issue",
    "list_team_members": NOW,
    "add_team_member": NOW,
    "remove_team_member": NOW,
    "list_ppp_accounts": NOW,
    "add_ppp_account": NOW,
    "update_ppp_account": NOW,
    "remove_ppp_account": NOW,
    "list_path_bases": NOW,
    "add_path_base": NOW,
    "remove_path_base": NOW,
    "list_process_filters": NOW,
    "add_process_filter": NOW,
    "remove_process_filter": NOW,
    "get_app_setting": NOW,
    "set_app_setting": NOW,
    "list_app_settings": NOW,
    "get_mounts": "storage quota / mounts issue",
    "mount_cluster": "storage quota / mounts issue",
    "clear_failed": NOW,
    "clear_completed": NOW,
    "list_logbook_entries": "logbook issue",
    "read_logbook_entry": "logbook issue",
    "bulk_read_logbooks": "logbook issue",
    "create_logbook_entry": "logbook issue",
    "update_logbook_entry": "logbook issue",
    "delete_logbook_entry": "logbook issue",
    "search_logbook": "logbook issue",
    "upload_logbook_image": "logbook issue",
}


def parse_groups(raw: str | None, default: list[str]) -> set[str]:
    """`jobs,config` → {"jobs", "config"}; "all" → every group; unknown names are ignored."""
    if raw is None or not raw.strip():
        chosen = {g for g in default if g in GROUPS}
    elif raw.strip() == "all":
        chosen = set(GROUPS)
    else:
        chosen = {g.strip() for g in raw.split(",") if g.strip() in GROUPS}
    return chosen or set(GROUPS)

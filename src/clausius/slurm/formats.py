"""The fixed output formats, shared by the argv builders and the parsers.

Every format is a tuple of (Slurm field code, our name). The free-text field
(the job name) is always LAST, so a parser splits with `maxsplit` and a name
containing the delimiter survives intact. Fields that could hold arbitrary
text besides the name (work directory, comment, command) are left out of
these listings; `scontrol show job` provides them per job.
"""

from __future__ import annotations

Fields = tuple[tuple[str, str], ...]

DELIM = "|"

# squeue -O (--Format), not -o: only -O prints a job's TRES (`tres-alloc`: allocated when
# running, requested while pending), the one place that counts `--gpus=N` (tres-per-node is
# N/A for it). `JobID` is the unique numeric id of each record (the array task's own id),
# `JobArrayID` the id as users see it (13_1, 13_[3-4%2], 123+0). `PriorityLong` is the
# integer priority. Every field ends in `:|` (no width: never truncated, `|` after it); the
# last (the name) in `:` alone.
SQUEUE_FIELDS: Fields = (
    ("JobID", "raw_id"),
    ("JobArrayID", "job_id"),
    ("UserName", "user"),
    ("State", "state"),
    ("Reason", "reason"),
    ("Account", "account"),
    ("Partition", "partition"),
    ("QOS", "qos"),
    ("PriorityLong", "priority"),
    ("NumNodes", "nodes"),
    ("NumCPUs", "cpus"),
    ("tres-per-node", "gres"),
    ("tres-alloc", "tres"),
    ("SubmitTime", "submit_time"),
    ("StartTime", "start_time"),
    ("EndTime", "end_time"),
    ("TimeUsed", "time_used"),
    ("TimeLimit", "time_limit"),
    ("Dependency", "dependency"),
    ("NodeList", "node_list"),
    ("Name", "name"),
)

# squeue --start: pending jobs with Slurm's expected start (`%S`) and the
# nodes it plans to use (`%Y`).
SQUEUE_START_FIELDS: Fields = (
    ("%i", "job_id"),
    ("%S", "start_time"),
    ("%D", "nodes"),
    ("%Y", "sched_nodes"),
    ("%r", "reason"),
)

# sacct --format (with -P): raw seconds for Elapsed and raw minutes for the
# limit avoid a second duration syntax; AllocTRES/ReqTRES carry the GPU count.
# 22.05's sacct has no restart counter: the builders pass -D (--duplicates) and
# the parser counts the earlier records of a requeued job instead.
SACCT_FIELDS: Fields = (
    ("JobID", "job_id"),
    ("JobIDRaw", "raw_id"),
    ("User", "user"),
    ("Account", "account"),
    ("Partition", "partition"),
    ("QOS", "qos"),
    ("State", "state"),
    ("ExitCode", "exit_code"),
    ("DerivedExitCode", "derived_exit_code"),
    ("Reason", "reason"),
    ("Submit", "submit_time"),
    ("Start", "start_time"),
    ("End", "end_time"),
    ("ElapsedRaw", "elapsed"),
    ("TimelimitRaw", "time_limit"),
    ("NNodes", "nodes"),
    ("AllocCPUS", "cpus"),
    ("NodeList", "node_list"),
    ("AllocTRES", "alloc_tres"),
    ("ReqTRES", "req_tres"),
    ("JobName", "name"),
)

# sinfo -o: one row per (partition, identical node group); `%F` is
# allocated/idle/other/total node counts. With -e rows are exact, not `32+`.
SINFO_FIELDS: Fields = (
    ("%P", "partition"),
    ("%a", "available"),
    ("%l", "time_limit"),
    ("%D", "nodes"),
    ("%F", "node_states"),
    ("%c", "cpus"),
    ("%m", "memory"),
    ("%G", "gres"),
)

# sprio -o (printed WITH its header, mapped by column name): priority and its
# weighted factors. `%r` is the partition name, `%P` the partition factor.
# 22.05 has no account or QOS-name code (`%o`/`%n` came later).
SPRIO_FIELDS: Fields = (
    ("%i", "JOBID"),
    ("%u", "USER"),
    ("%r", "PARTITION"),
    ("%Y", "PRIORITY"),
    ("%S", "SITE"),
    ("%A", "AGE"),
    ("%B", "ASSOC"),
    ("%F", "FAIRSHARE"),
    ("%J", "JOBSIZE"),
    ("%P", "PARTITION"),
    ("%Q", "QOS"),
    ("%N", "NICE"),
    ("%T", "TRES"),
)

# sstat --format (with -P, no header): per running step.
SSTAT_FIELDS: Fields = (
    ("JobID", "job_step"),
    ("NTasks", "ntasks"),
    ("AveCPU", "ave_cpu"),
    ("AveRSS", "ave_rss"),
    ("MaxRSS", "max_rss"),
    ("MaxVMSize", "max_vmsize"),
    ("TRESUsageInMax", "tres_usage_in_max"),
)


def percent_format(fields: Fields) -> str:
    """`%A|%i|…|%j` for squeue/sinfo/sprio `-o`."""
    return DELIM.join(code for code, _ in fields)


def field_format(fields: Fields) -> str:
    """`JobID:|,JobArrayID:|,…,Name:` for squeue `-O`: unlimited widths, `|` between fields."""
    return ",".join(f"{code}:{DELIM}" for code, _ in fields[:-1]) + f",{fields[-1][0]}:"


def comma_format(fields: Fields) -> str:
    """`JobID,JobIDRaw,…,JobName` for sacct/sstat `--format`."""
    return ",".join(code for code, _ in fields)

"""Parsers for `sshare -l -P` and `sprio -o <SPRIO_FORMAT>`, both mapped by header name."""

from __future__ import annotations

import math

from clausius.slurm.errors import SlurmParseError
from clausius.slurm.models import PrioRow, ShareRow
from clausius.slurm.rows import Row, by_header, to_opt_float, to_opt_int

# Column names as Slurm spells them (and spellings seen in other versions).
_SSHARE_ALIASES = {
    "account": ("Account",),
    "user": ("User",),
    "raw_shares": ("RawShares",),
    "norm_shares": ("NormShares",),
    "raw_usage": ("RawUsage",),
    "norm_usage": ("NormUsage",),
    "effective_usage": ("EffectvUsage", "EffectiveUsage"),
    "fairshare": ("FairShare",),
    "level_fs": ("LevelFS",),
    "grp_tres_mins": ("GrpTRESMins",),
    "tres_run_mins": ("TRESRunMins",),
}


def _pick(row: dict[str, str], names: tuple[str, ...]) -> str:
    for name in names:
        if name in row:
            return row[name]
    return ""


def _float_or_inf(value: str) -> float | None:
    text = value.strip().lower()
    if text in ("inf", "infinity"):
        return math.inf
    number = to_opt_float(text)
    if number is not None and math.isnan(number):
        raise ValueError("not a number")
    return number


def parse_sshare(text: str) -> list[ShareRow]:
    """Association rows in tree order; `depth` is the Account column's indentation."""
    header, rows = by_header(text, "sshare", strip=False)
    if rows and "Account" not in header:
        raise SlurmParseError("sshare", "no Account column in header", "|".join(header))
    out = []
    for cells in rows:
        values = {key: _pick(cells, names) for key, names in _SSHARE_ALIASES.items()}
        row = Row("sshare", values, "|".join(cells.values()))
        account_raw = values["account"]
        raw_shares = values["raw_shares"].strip()
        out.append(
            ShareRow(
                account=account_raw.strip(),
                user=values["user"].strip(),
                depth=len(account_raw) - len(account_raw.lstrip(" ")),
                raw_shares=None if raw_shares == "parent" else row.get("raw_shares", to_opt_int),
                norm_shares=row.get("norm_shares", _float_or_inf),
                raw_usage=row.get("raw_usage", to_opt_int),
                norm_usage=row.get("norm_usage", _float_or_inf),
                effective_usage=row.get("effective_usage", _float_or_inf),
                fairshare=row.get("fairshare", _float_or_inf),
                level_fs=row.get("level_fs", _float_or_inf),
                grp_tres_mins=values["grp_tres_mins"].strip(),
                tres_run_mins=values["tres_run_mins"].strip(),
                columns={k.strip(): v.strip() for k, v in cells.items()},
            )
        )
    return out


def parse_sprio(text: str) -> list[PrioRow]:
    """Pending jobs' priority factors. The first PARTITION column is the name, the second the factor."""
    header, rows = by_header(text, "sprio")
    if rows and "JOBID" not in header:
        raise SlurmParseError("sprio", "no JOBID column in header", "|".join(header))
    out = []
    for cells in rows:
        row = Row("sprio", cells)
        job_id = row.raw("JOBID")
        if not job_id.isdigit():
            raise SlurmParseError("sprio", "JOBID is not numeric", row.line)
        out.append(
            PrioRow(
                job_id=job_id,
                user=row.text("USER"),
                account=row.text("ACCOUNT"),  # only in newer sprio versions
                partition=row.text("PARTITION"),
                qos=row.text("QOSNAME"),  # only in newer sprio versions
                priority=row.get("PRIORITY", _float_or_inf),
                age=row.get("AGE", _float_or_inf),
                fairshare=row.get("FAIRSHARE", _float_or_inf),
                jobsize=row.get("JOBSIZE", _float_or_inf),
                partition_factor=row.get("PARTITION#2", _float_or_inf),
                qos_factor=row.get("QOS", _float_or_inf),
                site=row.get("SITE", _float_or_inf),
                assoc=row.get("ASSOC", _float_or_inf),
                nice=row.get("NICE", to_opt_int),
                tres=row.text("TRES"),
                columns=dict(cells),
            )
        )
    return out

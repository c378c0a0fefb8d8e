"""The `<project>_<campaign>_<details>` job-name protocol, run keys and name-inferred parents.

Stage suffixes use a small pattern syntax (the `stage_suffixes` setting speaks it):
`<N>` is a number, `[...]` is optional, `|` separates alternatives (inside `[...]` or at
the top level), and `-`/`_` each match either separator. A leading separator is implied:
a suffix is only stripped when `-` or `_` precedes it. Matching ignores case.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from clausius.core.config_models import Project

DEFAULT_STAGE_SUFFIXES: tuple[str, ...] = ("-judge-rs<N>", "-summarize-results")
# NeMo-Skills pipeline stage names (reference §8.3); callers may add these to the setting's list.
NEMO_SKILLS_STAGE_SUFFIXES: tuple[str, ...] = (
    "probe[s]-server",
    "probe[s]-l<N>",
    "sep-server",
    "sep-l<N>",
    "path[s]-probe[s]",
    "path[s]-path[s]",
    "server-probe[s]",
    "server-path[s]",
    "path-analytical[-c<N>]",
    "path-computational[-c<N>]",
    "path-knowledge[-c<N>]",
    "path[s]-server",
    "merge-analytical",
    "merge-computational",
    "merge-knowledge",
    "[eval-]judge-server",
    "[eval-]judge-client",
    "[eval-]judge-eval",
    "gate[-classify|-prep]",
    "chunk<N>",
    "server",
    "summarize[-result[s]]",
    "judge[-rs<N>]",
    "rs<N>[-c<N>]",
)
MISC_RUN_KEY = "misc"

_PROJECT_WORD = re.compile(r"^([a-z][a-z0-9-]*)_", re.IGNORECASE)
_SEP = r"[-_]"
_SUMMARIZE = re.compile(r"^summarize(?:[-_]results?)?$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class NameParts:
    project: str | None
    campaign: str | None
    details: str


def parse_job_name(name: str, projects: Sequence[Project]) -> NameParts:
    """Split a job name by the prefix protocol.

    Configured prefixes win, longest first, so `hle-v2_` beats `hle-` whatever the order the
    projects were configured in. Otherwise the first `word_` names the project.
    """
    lowered = name.lower()
    for project in sorted(projects, key=lambda p: len(p.prefix), reverse=True):
        if project.prefix and lowered.startswith(project.prefix.lower()):
            return _with_campaign(project.name, name[len(project.prefix) :])
    match = _PROJECT_WORD.match(name)
    if match is None:
        return NameParts(None, None, name)
    return _with_campaign(match.group(1).lower(), name[match.end() :])


def _with_campaign(project: str, rest: str) -> NameParts:
    campaign, sep, details = rest.partition("_")
    if sep and campaign:
        return NameParts(project, campaign.lower(), details)
    return NameParts(project, None, rest)


def _body_regex(pattern: str) -> str:
    """Translate one pattern (without its leading separator) to a regex; ValueError if malformed."""
    out: list[str] = []
    depth = 0
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if pattern.startswith("<N>", i):
            out.append(r"\d+")
            i += 3
            continue
        if ch == "[":
            depth += 1
            out.append("(?:")
        elif ch == "]":
            if depth == 0:
                raise ValueError(f"unbalanced ']' in {pattern!r}")
            depth -= 1
            out.append(")?")
        elif ch == "|":
            out.append("|")
        elif ch in "-_":
            out.append(_SEP)
        else:
            out.append(re.escape(ch))
        i += 1
    if depth:
        raise ValueError(f"unbalanced '[' in {pattern!r}")
    return "".join(out)


def stage_suffix_error(pattern: str) -> str | None:
    """Why a pattern is unusable, or None — for validating the setting before it is saved."""
    for alternative in _top_level_alternatives(pattern.strip()):
        body = alternative.strip().lstrip("-_")
        if not body:
            return "a stage suffix must not be empty"
        try:
            _body_regex(body)
        except ValueError as exc:
            return str(exc)
    return None


def _top_level_alternatives(pattern: str) -> list[str]:
    """`-retry|-again` → [`-retry`, `-again`]: each alternative has its own leading separator."""
    parts: list[str] = []
    depth = 0
    start = 0
    for i, ch in enumerate(pattern):
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth = max(depth - 1, 0)
        elif ch == "|" and depth == 0:
            parts.append(pattern[start:i])
            start = i + 1
    parts.append(pattern[start:])
    return parts


def _literal_regex(pattern: str) -> str:
    parts = [re.escape(p) for p in pattern.split("<N>")]
    return r"\d+".join(parts)


@dataclass(frozen=True, slots=True)
class StageSuffixes:
    patterns: tuple[str, ...]
    regex: re.Pattern[str] | None  # one anchored alternation; None when there are no patterns

    def match(self, name: str) -> re.Match[str] | None:
        """The longest stage suffix (with its separator) at the end of `name`, if any."""
        return self.regex.search(name) if self.regex is not None else None


def compile_stage_suffixes(patterns: Sequence[str]) -> StageSuffixes:
    """Compile patterns; never raises — a malformed pattern is matched literally instead,
    so one bad setting value cannot take the board down."""
    bodies: list[str] = []
    kept: list[str] = []
    for pattern in patterns:
        before = len(bodies)
        for alternative in _top_level_alternatives(pattern.strip()):
            body = alternative.strip().lstrip("-_")
            if not body:
                continue
            try:
                regex = _body_regex(body)
            except ValueError:
                regex = _literal_regex(body)
            bodies.append(f"(?:{regex})")
        if len(bodies) > before:
            kept.append(pattern.strip())
    if not bodies:
        return StageSuffixes((), None)
    # Leftmost match wins in `search`, so the longest suffix ending the name is found.
    combined = re.compile(f"{_SEP}(?:{'|'.join(bodies)})$", re.IGNORECASE)
    return StageSuffixes(tuple(kept), combined)


DEFAULT_SUFFIXES: StageSuffixes = compile_stage_suffixes(DEFAULT_STAGE_SUFFIXES)


def run_key(name: str, suffixes: StageSuffixes) -> str:
    """The run a job belongs to by name: trailing stage suffixes stripped repeatedly, lower-cased."""
    key = name.strip()
    while key and (match := suffixes.match(key)) is not None:
        key = key[: match.start()]
    key = key.lower()
    return key if key else MISC_RUN_KEY


def inferred_parent_candidates(name: str, suffixes: StageSuffixes = DEFAULT_SUFFIXES) -> list[str]:
    """Names of the job this one probably follows, most likely first; [] when none.

    Only names ending in a configured stage suffix have a parent. `<base>-summarize-results`
    follows the judge of its base (`<base>-judge-rs0`, else `<base>-judge`), else `<base>`;
    any other stage (e.g. `<base>-judge-rs<N>`) follows `<base>`.
    """
    stripped = name.strip()
    match = suffixes.match(stripped)
    if match is None:
        return []
    base = stripped[: match.start()]
    if not base:
        return []
    suffix = match.group(0)[1:]
    if _SUMMARIZE.match(suffix):
        return [f"{base}-judge-rs0", f"{base}-judge", base]
    return [base]


def is_background(name: str, suffixes: Sequence[str]) -> bool:
    """Long-running helper jobs (the `background_run_suffixes` setting): plain `endswith`."""
    return any(suffix and name.endswith(suffix) for suffix in suffixes)

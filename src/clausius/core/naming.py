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


# --- Stage-suffix matching -------------------------------------------------------------------
#
# Patterns compile to one automaton over the *reversed* name, run from the name's end. Its
# states are sets of NFA states (subset construction, built lazily and cached), so matching a
# name costs one dictionary step per character whatever the patterns are: linear by
# construction. A backtracking regex took ~44 s per name with sixteen `<N>` patterns.

MAX_STAGE_SUFFIXES = 32
MAX_STAGE_SUFFIX_LENGTH = 100
_DFA_CACHE_LIMIT = 20_000
_DIGIT = "0"  # every decimal digit is looked up as this one class
_SEPARATORS = frozenset("-_")

# AST of one pattern: ("chars", frozenset) | ("digits",) | ("seq", [..]) | ("alt", [..]) | ("opt", node)
_Node = tuple[object, ...]


def _parse_body(pattern: str) -> _Node:
    """Parse one pattern (without its leading separator); ValueError if malformed."""
    node, end = _parse_alternatives(pattern, 0, pattern)
    if end != len(pattern):
        raise ValueError(f"unbalanced ']' in {pattern!r}")
    return node


def _parse_alternatives(text: str, i: int, whole: str) -> tuple[_Node, int]:
    options: list[_Node] = []
    items: list[_Node] = []
    while i < len(text) and text[i] != "]":
        if text.startswith("<N>", i):
            items.append(("digits",))
            i += 3
        elif text[i] == "[":
            inner, i = _parse_alternatives(text, i + 1, whole)
            if i >= len(text):
                raise ValueError(f"unbalanced '[' in {whole!r}")
            items.append(("opt", inner))
            i += 1
        elif text[i] == "|":
            options.append(("seq", items))
            items = []
            i += 1
        else:
            ch = text[i]
            items.append(("chars", _SEPARATORS if ch in _SEPARATORS else frozenset({ch.lower()})))
            i += 1
    options.append(("seq", items))
    return (options[0] if len(options) == 1 else ("alt", options)), i


def _reversed(node: _Node) -> _Node:
    kind = node[0]
    if kind == "seq":
        return ("seq", [_reversed(n) for n in reversed(node[1])])  # type: ignore[call-overload]
    if kind == "alt":
        return ("alt", [_reversed(n) for n in node[1]])  # type: ignore[attr-defined]
    if kind == "opt":
        return ("opt", _reversed(node[1]))  # type: ignore[arg-type]
    return node


class _Nfa:
    """Thompson construction: character edges and epsilon edges between numbered states."""

    def __init__(self) -> None:
        self.edges: list[list[tuple[frozenset[str], int]]] = []
        self.eps: list[list[int]] = []

    def state(self) -> int:
        self.edges.append([])
        self.eps.append([])
        return len(self.edges) - 1

    def build(self, node: _Node, start: int) -> int:
        kind = node[0]
        if kind == "chars":
            end = self.state()
            self.edges[start].append((node[1], end))  # type: ignore[arg-type]
            return end
        if kind == "digits":
            end = self.state()
            digit = frozenset({_DIGIT})
            self.edges[start].append((digit, end))
            self.edges[end].append((digit, end))
            return end
        if kind == "seq":
            for child in node[1]:  # type: ignore[attr-defined]
                start = self.build(child, start)
            return start
        end = self.state()
        children = node[1] if kind == "alt" else [node[1]]
        for child in children:  # type: ignore[attr-defined]
            self.eps[self.build(child, start)].append(end)
        if kind == "opt":
            self.eps[start].append(end)
        return end

    def closure(self, states: set[int]) -> frozenset[int]:
        todo = list(states)
        seen = set(states)
        while todo:
            for nxt in self.eps[todo.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return frozenset(seen)


class _SuffixAutomaton:
    def __init__(self, bodies: Sequence[_Node]) -> None:
        nfa = _Nfa()
        start = nfa.state()
        before_sep = nfa.state()
        self._accept = nfa.build(("chars", _SEPARATORS), before_sep)
        for body in bodies:
            nfa.eps[nfa.build(_reversed(body), start)].append(before_sep)
        self._nfa = nfa
        self._start = nfa.closure({start})
        self._steps: dict[tuple[frozenset[int], str], frozenset[int]] = {}

    def _step(self, states: frozenset[int], ch: str) -> frozenset[int]:
        key = (states, ch)
        cached = self._steps.get(key)
        if cached is None:
            targets = {t for s in states for chars, t in self._nfa.edges[s] if ch in chars}
            cached = self._nfa.closure(targets) if targets else frozenset()
            if len(self._steps) >= _DFA_CACHE_LIMIT:
                self._steps.clear()  # bounded memory; rebuilt on demand
            self._steps[key] = cached
        return cached

    def longest(self, name: str) -> int:
        """Length of the longest `<sep><suffix>` ending `name` (0: none)."""
        states = self._start
        best = 0
        for consumed, ch in enumerate(reversed(name), start=1):
            ch = _DIGIT if ch.isdecimal() else ch.lower()
            states = self._step(states, ch)
            if not states:
                break
            if self._accept in states:
                best = consumed
        return best


def stage_suffix_error(pattern: str) -> str | None:
    """Why a pattern is unusable, or None — for validating the setting before it is saved."""
    if len(pattern) > MAX_STAGE_SUFFIX_LENGTH:
        return f"a stage suffix may have at most {MAX_STAGE_SUFFIX_LENGTH} characters"
    for alternative in _top_level_alternatives(pattern.strip()):
        body = alternative.strip().lstrip("-_")
        if not body:
            return "a stage suffix must not be empty"
        try:
            _parse_body(body)
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


def _literal(pattern: str) -> _Node:
    """A malformed pattern matched as written (`<N>` still a number)."""
    items: list[_Node] = []
    for k, part in enumerate(pattern.split("<N>")):
        if k:
            items.append(("digits",))
        items += [("chars", frozenset({ch.lower()})) for ch in part]
    return ("seq", items)


@dataclass(frozen=True, slots=True)
class SuffixMatch:
    """Where the stage suffix (with its separator) starts in the name, and its text."""

    begin: int
    text: str

    def start(self) -> int:
        return self.begin

    def group(self, _index: int = 0) -> str:
        return self.text


@dataclass(frozen=True, slots=True)
class StageSuffixes:
    patterns: tuple[str, ...]
    automaton: _SuffixAutomaton | None  # None when there are no patterns

    def match(self, name: str) -> SuffixMatch | None:
        """The longest stage suffix (with its separator) at the end of `name`, if any."""
        if self.automaton is None:
            return None
        length = self.automaton.longest(name)
        return SuffixMatch(len(name) - length, name[len(name) - length :]) if length else None


def compile_stage_suffixes(patterns: Sequence[str]) -> StageSuffixes:
    """Compile patterns; never raises — a malformed pattern is matched literally instead, and
    patterns past the limits are ignored, so one bad setting value cannot take the board down."""
    bodies: list[_Node] = []
    kept: list[str] = []
    for pattern in patterns[:MAX_STAGE_SUFFIXES]:
        if len(pattern) > MAX_STAGE_SUFFIX_LENGTH:
            continue
        before = len(bodies)
        for alternative in _top_level_alternatives(pattern.strip()):
            body = alternative.strip().lstrip("-_")
            if not body:
                continue
            try:
                bodies.append(_parse_body(body))
            except ValueError:
                bodies.append(_literal(body))
        if len(bodies) > before:
            kept.append(pattern.strip())
    if not bodies:
        return StageSuffixes((), None)
    return StageSuffixes(tuple(kept), _SuffixAutomaton(bodies))


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

"""Building the command line that runs an argv on a remote login node.

The remote login shell may be bash, zsh or csh, and its profile may print
banners. So the argv is quoted for bash, wrapped in a small bash program, and
that program is sent base64-encoded: the only text the login shell parses is
`exec bash ... -c 'eval "$(printf %s <base64> | base64 -d)"'`, which every
common shell reads the same way. The program

- prints a start marker with a random nonce on stdout and stderr, so anything a
  login profile printed before it is discarded by `strip_preamble`;
- starts the command in its own session (setsid) with stdin from /dev/null;
- watches the channel's stdin: when the client closes the channel (deadline or
  cancellation), stdin reaches EOF and the whole process group is killed, so
  remote work really stops instead of running on unattended. (The TERM is
  retried briefly: a cancel can arrive before setsid has made the group.)
"""

from __future__ import annotations

import base64
import secrets
import shlex
from collections.abc import Sequence

MARKER_PREFIX = "@@clausius:"

_PROGRAM = """\
exec 3<&0
printf '%s\\n' {marker}
printf '%s\\n' {marker} >&2
setsid {command} </dev/null &
pid=$!
{{ while IFS= read -r _ <&3; do :; done
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    kill -TERM -- "-$pid" 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  sleep 3; kill -KILL -- "-$pid" 2>/dev/null; }} >/dev/null 2>&1 &
watcher=$!
wait "$pid"; rc=$?
kill "$watcher" 2>/dev/null
exit "$rc"
"""


def new_nonce() -> str:
    return secrets.token_hex(8)


def start_marker(nonce: str) -> str:
    return f"{MARKER_PREFIX}{nonce}:start"


def build_remote_command(argv: Sequence[str], *, nonce: str, login_shell: bool) -> str:
    """The single command string for the SSH exec request."""
    if not argv:
        raise ValueError("empty argv")
    program = _PROGRAM.format(marker=shlex.quote(start_marker(nonce)), command=shlex.join(argv))
    encoded = base64.b64encode(program.encode()).decode("ascii")
    shell = "bash -l" if login_shell else "bash --noprofile --norc"
    return f"exec {shell} -c 'eval \"$(printf %s {encoded} | base64 -d)\"'"


def strip_preamble(text: str, nonce: str) -> tuple[str, bool]:
    """Drop everything up to and including the start marker line; returns (text, marker_found)."""
    marker = start_marker(nonce) + "\n"
    index = text.find(marker)
    if index < 0:
        return text, False
    if index > 0 and text[index - 1] != "\n":
        return text, False  # the marker must start a line
    return text[index + len(marker) :], True

"""run_script: a short bash or Python script on a cluster's login node, off unless allowed.

The script travels as an argument of a fixed wrapper (never spliced into shell text),
runs under a deadline that stops the remote process group, and its output is cut on the
remote side so a chatty script cannot flood the connection or the caller's context.
"""

from __future__ import annotations

import hashlib
import json
import time
from typing import Literal

from pydantic import BaseModel, Field

from clausius.errors import InvalidInput, NotAllowed
from clausius.remote.errors import CommandTimeout
from clausius.services.interface import current_interface
from clausius.services.settings import SettingsService
from clausius.services.transports import TransportRegistry
from clausius.store import config_repo
from clausius.store.database import Database

Interpreter = Literal["bash", "python3"]
MAX_SCRIPT_BYTES = 32 * 1024
MAX_TIMEOUT_SEC = 600
DEFAULT_OUTPUT_BYTES = 16 * 1024
MAX_OUTPUT_BYTES = 256 * 1024

# $1 interpreter, $2 script, $3 byte limit (+1, so a cut can be told from an exact fit).
# Output beyond the limit is read and dropped rather than closing the pipe, so the script
# is not killed by SIGPIPE halfway through its work.
_WRAPPER = r"""
interp=$1; src=$2; limit=$3
case $interp in
  python3) set -- python3 -c "$src" ;;
  *) set -- bash -c "$src" ;;
esac
{ "$@" 2> >({ head -c "$limit"; cat >/dev/null; } >&2); } </dev/null | { head -c "$limit"; cat >/dev/null; }
rc=${PIPESTATUS[0]}
wait
exit "$rc"
"""


class ScriptResult(BaseModel):
    cluster: str
    interpreter: Interpreter
    exit_code: int | None = Field(description="The script's exit status; null when it was stopped at the deadline.")
    timed_out: bool
    stdout: str
    stderr: str
    stdout_truncated: bool = Field(description="More output was produced than max_output_bytes; the rest is dropped.")
    stderr_truncated: bool
    seconds: float


def _cut(text: str, limit: int) -> tuple[str, bool]:
    data = text.encode()
    if len(data) <= limit:
        return text, False
    return data[:limit].decode(errors="ignore"), True


class ScriptService:
    def __init__(self, db: Database, settings: SettingsService, transports: TransportRegistry) -> None:
        self._db = db
        self._settings = settings
        self._transports = transports

    async def run_script(
        self,
        cluster: str,
        script: str,
        *,
        interpreter: Interpreter = "bash",
        timeout: float = 60.0,
        max_output_bytes: int = DEFAULT_OUTPUT_BYTES,
    ) -> ScriptResult:
        if not self._settings.get_bool("allow_run_script"):
            raise NotAllowed(
                "run_script is switched off (setting allow_run_script)",
                hint="a person can enable it with `clausius set allow_run_script true` (or in Settings)",
            )
        if interpreter not in ("bash", "python3"):
            raise InvalidInput(f"unknown interpreter {interpreter!r}", choices=["bash", "python3"])
        if not script.strip():
            raise InvalidInput("script is empty")
        if len(script.encode()) > MAX_SCRIPT_BYTES:
            raise InvalidInput(f"script is longer than {MAX_SCRIPT_BYTES} bytes; copy a file to the cluster instead")
        if "\x00" in script:
            raise InvalidInput("script contains a NUL byte")
        if not 1 <= timeout <= MAX_TIMEOUT_SEC:
            raise InvalidInput(f"timeout must be between 1 and {MAX_TIMEOUT_SEC} seconds")
        if not 1 <= max_output_bytes <= MAX_OUTPUT_BYTES:
            raise InvalidInput(f"max_output_bytes must be between 1 and {MAX_OUTPUT_BYTES}")
        transport = await self._transports.get(cluster)
        await self._audit(cluster, interpreter, script)
        argv = ["bash", "-c", _WRAPPER, "clausius-run-script", interpreter, script, str(max_output_bytes + 1)]
        started = time.monotonic()
        try:
            result = await transport.run(argv, timeout=timeout, max_output=max_output_bytes + 4096)
        except CommandTimeout:
            return ScriptResult(
                cluster=cluster,
                interpreter=interpreter,
                exit_code=None,
                timed_out=True,
                stdout="",
                stderr=f"stopped after {timeout:g} s (the remote process group was killed)",
                stdout_truncated=False,
                stderr_truncated=False,
                seconds=round(time.monotonic() - started, 3),
            )
        stdout, out_cut = _cut(result.stdout, max_output_bytes)
        stderr, err_cut = _cut(result.stderr, max_output_bytes)
        return ScriptResult(
            cluster=cluster,
            interpreter=interpreter,
            exit_code=result.rc,
            timed_out=False,
            stdout=stdout,
            stderr=stderr,
            stdout_truncated=out_cut,
            stderr_truncated=err_cut,
            seconds=round(result.duration, 3),
        )

    async def _audit(self, cluster: str, interpreter: str, script: str) -> None:
        interface = current_interface.get()
        detail = json.dumps(
            {
                "interpreter": interpreter,
                "bytes": len(script.encode()),
                "sha256": hashlib.sha256(script.encode()).hexdigest()[:16],
                "first_line": script.strip().splitlines()[0][:120],
            }
        )
        await self._db.write(lambda c: config_repo.audit(c, interface, "run_script", cluster, detail))

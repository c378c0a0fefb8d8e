"""Login-node faults: stop or freeze one cluster's sshd, and bring it back (recipe §6.1)."""

from __future__ import annotations

import signal

from . import services
from .daemons import live_pid, proc_state, signal_tree, stop_daemon
from .settings import CLUSTERS, Settings, cluster_by_name
from .util import LabError, say

SSHD_COMMS = ("sshd",)


def ssh_down(s: Settings, cluster: str, freeze: bool) -> None:
    c = cluster_by_name(cluster)
    d = services.sshd(s, c.name)
    pid = live_pid(d)
    if freeze:
        if pid is None:
            raise LabError(f"{d.name} is not running; nothing to freeze", d.log)
        frozen = signal_tree(pid, signal.SIGSTOP, SSHD_COMMS)
        sessions = len(frozen) - 1
        say(f"{d.name}: froze listener {pid} and {sessions} session process(es); new and open connections hang")
        return
    if pid is not None and proc_state(pid) in ("T", "t"):
        thaw(s, c.name)
    say(f"{d.name}: {stop_daemon(d)}; established sessions keep running")


def thaw(s: Settings, cluster: str) -> bool:
    """SIGCONT a frozen sshd listener and its session processes. True if something was frozen."""
    pid = live_pid(services.sshd(s, cluster))
    if pid is None:
        return False
    was_frozen = proc_state(pid) in ("T", "t")
    resumed = signal_tree(pid, signal.SIGCONT, SSHD_COMMS)
    if was_frozen:
        say(f"sshd-{cluster}: resumed listener {pid} and {len(resumed) - 1} session process(es)")
    return was_frozen


def ssh_up(s: Settings, cluster: str | None) -> None:
    targets = [cluster_by_name(cluster)] if cluster else list(CLUSTERS)
    for c in targets:
        thaw(s, c.name)
        if services.start_sshd(s, c):
            say(f"sshd-{c.name}: started")
        else:
            say(f"sshd-{c.name}: up")

"""Every remote call's deadline, from one setting (`ssh_timeout`), written once.

- `command`: one remote command (scontrol, sprio, sinfo --version, an SFTP call).
- `refresh`: the refresh script, three commands in one round trip (clock, squeue, sacct), and
  other multi-command calls (a batched sacct, scancel of many ids): twice a command.
- `reader`: how long a reader that asked to wait for a refresh waits before it is answered from
  memory: a refresh plus a margin for the connection.

The setting's own range (5–60 s) is the floor; nothing here raises or lowers it.
"""

from __future__ import annotations

from clausius.services.settings import SettingsService

READER_MARGIN_SEC = 5.0


class Deadlines:
    def __init__(self, settings: SettingsService) -> None:
        self._settings = settings

    @property
    def command(self) -> float:
        return float(self._settings.get_int("ssh_timeout"))

    @property
    def refresh(self) -> float:
        return self.command * 2

    @property
    def reader(self) -> float:
        return self.refresh + READER_MARGIN_SEC

"""Job resource use: what Slurm's accounting and sstat report for one job."""

from __future__ import annotations

from clausius.services.board import BoardService
from clausius.services.settings import SettingsService
from clausius.services.transports import TransportRegistry
from clausius.store.database import Database


class StatsService:
    def __init__(
        self, db: Database, settings: SettingsService, transports: TransportRegistry, board: BoardService
    ) -> None:
        self._db = db
        self._settings = settings
        self._transports = transports
        self._board = board

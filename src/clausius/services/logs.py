"""Job logs: which files a job wrote, and bounded reads of them with crash class and progress."""

from __future__ import annotations

from clausius.services.board import BoardService
from clausius.services.registry import RegistryService
from clausius.services.settings import SettingsService
from clausius.services.transports import TransportRegistry
from clausius.store.database import Database


class LogService:
    def __init__(
        self,
        db: Database,
        settings: SettingsService,
        transports: TransportRegistry,
        registry: RegistryService,
        board: BoardService,
    ) -> None:
        self._db = db
        self._settings = settings
        self._transports = transports
        self._registry = registry
        self._board = board

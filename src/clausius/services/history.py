"""Job history: queries over every job clausius has recorded, project summaries, clean-up."""

from __future__ import annotations

from clausius.services.projects import ProjectService
from clausius.services.settings import SettingsService
from clausius.store.database import Database


class HistoryService:
    def __init__(self, db: Database, settings: SettingsService, projects: ProjectService) -> None:
        self._db = db
        self._settings = settings
        self._projects = projects

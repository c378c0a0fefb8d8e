"""The service container: one per process, shared by every interface in it."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from pydantic import BaseModel

from clausius import __version__
from clausius.bootstrap import Bootstrap
from clausius.errors import InvalidInput
from clausius.services.backups import BackupService
from clausius.services.board import BoardService
from clausius.services.clusters import ClusterService
from clausius.services.history import HistoryService
from clausius.services.legacy_import import LegacyImportService
from clausius.services.logs import LogService
from clausius.services.projects import ProjectService
from clausius.services.registry import RegistryService
from clausius.services.settings import SettingsService
from clausius.services.stats import StatsService
from clausius.services.transports import TransportRegistry
from clausius.store import config_repo
from clausius.store.database import Database


class AuditEntry(BaseModel):
    """One recorded change: when, through which interface, what, on what."""

    ts: float
    interface: str
    action: str
    target: str
    detail: str | None


class PingResult(BaseModel):
    cluster: str
    ok: bool
    slurm: str | None
    error: str | None
    seconds: float


class Health(BaseModel):
    status: str
    version: str
    schema_version: int
    uptime_sec: float
    clusters: int


@dataclass
class Services:
    boot: Bootstrap
    db: Database
    settings: SettingsService
    clusters: ClusterService
    registry: RegistryService
    projects: ProjectService
    backups: BackupService
    legacy: LegacyImportService
    transports: TransportRegistry
    board: BoardService
    history: HistoryService
    logs: LogService
    stats: StatsService
    started_at: float = field(default_factory=time.time)

    @classmethod
    def open(cls, boot: Bootstrap) -> Services:
        db = Database.open(boot.db_path)
        settings = SettingsService(db)
        clusters = ClusterService(db)
        projects = ProjectService(db)
        transports = TransportRegistry(boot, db, settings)
        registry = RegistryService(db)
        board = BoardService(db, settings, transports, clusters, projects, registry)
        return cls(
            boot=boot,
            db=db,
            settings=settings,
            clusters=clusters,
            registry=registry,
            projects=projects,
            backups=BackupService(boot, db, settings),
            legacy=LegacyImportService(db, settings.reload_sync),
            transports=transports,
            board=board,
            history=HistoryService(db, settings, projects),
            logs=LogService(db, settings, transports, registry, board),
            stats=StatsService(db, settings, transports, board),
        )

    async def health(self) -> Health:
        schema = await self.db.read(lambda c: int(c.execute("PRAGMA user_version").fetchone()[0]))
        count = await self.db.read(lambda c: int(c.execute("SELECT count(*) FROM clusters").fetchone()[0]))
        return Health(
            status="ok",
            version=__version__,
            schema_version=schema,
            uptime_sec=round(time.time() - self.started_at, 1),
            clusters=count,
        )

    async def audit_log(self, limit: int = 50) -> list[AuditEntry]:
        """The newest recorded changes first (configuration, backups, later cancels and scripts)."""
        if not 1 <= limit <= 1000:
            raise InvalidInput("limit must be between 1 and 1000")
        rows = await self.db.read(lambda c: config_repo.list_audit(c, limit))
        return [
            AuditEntry(ts=r["ts"], interface=r["interface"], action=r["action"], target=r["target"], detail=r["detail"])
            for r in rows
        ]

    async def ping(self, cluster: str) -> PingResult:
        """Check that a cluster answers: one Slurm command over its transport, timed."""
        transport = await self.transports.get(cluster)
        result = await transport.run(["sinfo", "--version"], timeout=float(self.settings.get_int("ssh_timeout")))
        output = (result.stdout.strip() or result.stderr.strip())[:200]
        return PingResult(
            cluster=cluster,
            ok=result.rc == 0,
            slurm=output if result.rc == 0 else None,
            error=None if result.rc == 0 else output or f"exit code {result.rc}",
            seconds=round(result.duration, 3),
        )

    async def aclose(self) -> None:
        """Stop the cluster agents and close network connections (call from the event loop before `close`)."""
        await self.board.stop()
        await self.transports.close()

    def close(self) -> None:
        self.db.close()

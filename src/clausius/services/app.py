"""The service container: one per process, shared by every interface in it."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from pydantic import BaseModel, Field

from clausius import __version__
from clausius.bootstrap import Bootstrap
from clausius.errors import InvalidInput
from clausius.remote.errors import TransportError
from clausius.services.backups import BackupService
from clausius.services.board import BoardService
from clausius.services.board_models import Counts
from clausius.services.clusters import ClusterService
from clausius.services.deadlines import Deadlines
from clausius.services.history import HistoryService
from clausius.services.jobs import JobsService
from clausius.services.legacy_import import LegacyImportService
from clausius.services.logs import LogService
from clausius.services.projects import ProjectService
from clausius.services.registry import RegistryService
from clausius.services.scripts import ScriptService
from clausius.services.settings import SettingsService
from clausius.services.stats import StatsService
from clausius.services.transports import TransportRegistry
from clausius.store import config_repo
from clausius.store.database import Database
from clausius.store.datadir import secure_data_dir, use_private_umask


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


class ClusterHealth(BaseModel):
    """How one cluster looks to clausius right now, from memory (plus one command when `check`)."""

    cluster: str
    host: str | None = Field(description="Login host (null for the local pseudo-cluster).")
    state: str = Field(description="live | stale | unreachable | idle | never")
    age_sec: float | None = Field(description="Seconds since the last good refresh.")
    error: str | None
    last_success_at: float | None
    polling: bool = Field(description="Someone asked within the demand window, so it is being refreshed.")
    counts: Counts
    refreshes: int
    failures: int
    connections_opened: int
    commands_run: int
    ping: PingResult | None = Field(default=None, description="Result of a live check (only when asked).")


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
    jobs: JobsService
    scripts: ScriptService
    started_at: float = field(default_factory=time.time)

    @classmethod
    def open(cls, boot: Bootstrap) -> Services:
        use_private_umask()
        secure_data_dir(boot.data_dir)
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
            jobs=JobsService(db, settings, board),
            scripts=ScriptService(db, settings, transports),
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
        result = await transport.run(["sinfo", "--version"], timeout=Deadlines(self.settings).command)
        output = (result.stdout.strip() or result.stderr.strip())[:200]
        return PingResult(
            cluster=cluster,
            ok=result.rc == 0,
            slurm=output if result.rc == 0 else None,
            error=None if result.rc == 0 else output or f"exit code {result.rc}",
            seconds=round(result.duration, 3),
        )

    async def _ping_for_status(self, cluster: str) -> PingResult:
        """A status report covers every cluster: one that cannot be reached is a row saying why."""
        started = time.monotonic()
        try:
            return await self.ping(cluster)
        except TransportError as exc:
            seconds = round(time.monotonic() - started, 3)
            return PingResult(cluster=cluster, ok=False, slurm=None, error=exc.message, seconds=seconds)

    async def cluster_status(self, cluster: str | None = None, *, check: bool = False) -> list[ClusterHealth]:
        """Status of one or every cluster from the agents' memory; `check` also pings (one command each)."""
        if cluster is not None:
            await self.board.agent(cluster)  # unknown → NotFound listing the known clusters
        board = await self.board.read(clusters=[cluster] if cluster else None)
        reports = {r.cluster: r for r in await self.board.reports()}
        hosts = {c.name: c.host for c in await self.clusters.list()}
        # Pinged together: one dead cluster (a full deadline) must not delay the others' answers.
        checked = [item.name for item in board.clusters if check and item.name in hosts]
        pings = dict(zip(checked, await asyncio.gather(*(self._ping_for_status(n) for n in checked)), strict=True))
        result = []
        for item in board.clusters:
            report = reports.get(item.name)
            ping = pings.get(item.name)
            result.append(
                ClusterHealth(
                    cluster=item.name,
                    host=hosts.get(item.name),
                    state=item.status.state,
                    age_sec=item.status.age_sec,
                    error=item.status.error,
                    last_success_at=item.status.last_success_at,
                    polling=report.polling if report else False,
                    counts=item.counts,
                    refreshes=report.refreshes if report else 0,
                    failures=report.failures if report else 0,
                    connections_opened=report.connections_opened if report else 0,
                    commands_run=report.commands_run if report else 0,
                    ping=ping,
                )
            )
        return result

    async def aclose(self) -> None:
        """Stop the cluster agents and close network connections (call from the event loop before `close`)."""
        await self.board.stop()
        await self.transports.close()

    def close(self) -> None:
        self.db.close()

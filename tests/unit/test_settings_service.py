"""The in-memory settings view: immediate on write, and picks up other processes' writes."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from clausius.errors import InvalidInput
from clausius.services.settings import SettingsService
from clausius.store.database import Database


@pytest.fixture
def db(tmp_path: Path) -> Database:
    database = Database.open(tmp_path / "history.db")
    yield database  # type: ignore[misc]
    database.close()


def test_write_takes_effect_immediately_and_notifies(db: Database) -> None:
    settings = SettingsService(db)
    seen: list[str] = []
    settings.on_change(seen.append)
    assert settings.get("ssh_timeout") == 8
    asyncio.run(settings.set("ssh_timeout", "15"))
    assert settings.get_int("ssh_timeout") == 15
    assert seen == ["ssh_timeout"]
    with pytest.raises(InvalidInput):
        asyncio.run(settings.set("ssh_timeout", "0"))
    assert settings.get("ssh_timeout") == 15
    asyncio.run(settings.reset("ssh_timeout"))
    assert settings.get("ssh_timeout") == 8
    assert settings.info("ssh_timeout").is_default


def test_change_from_another_process_is_picked_up(db: Database) -> None:
    settings = SettingsService(db)

    async def scenario() -> int:
        watcher = asyncio.create_task(settings.watch_external_changes(interval=0.05))
        await asyncio.sleep(0.1)
        other = sqlite3.connect(db.path)  # stands in for the CLI writing while the server runs
        other.execute("INSERT INTO app_settings (key, value_json, updated_at) VALUES ('ssh_timeout', '33', 0)")
        other.commit()
        other.close()
        for _ in range(100):
            if settings.get("ssh_timeout") == 33:
                break
            await asyncio.sleep(0.05)
        watcher.cancel()
        return settings.get_int("ssh_timeout")

    assert asyncio.run(scenario()) == 33


def test_invalid_stored_values_fall_back_to_defaults(db: Database) -> None:
    db.write_sync(
        lambda c: c.execute(
            "INSERT INTO app_settings (key, value_json, updated_at) VALUES ('ssh_timeout', '\"bad\"', 0), "
            "('retired_setting', '1', 0)"
        )
    )
    settings = SettingsService(db)
    assert settings.get("ssh_timeout") == 8
    secret = settings.info("sdk_ingest_token")
    assert secret.value is None and not secret.is_set

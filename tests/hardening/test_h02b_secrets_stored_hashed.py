"""Item 2: tokens that are only compared (the SDK ingest token) are stored as salted hashes."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

from clausius.bootstrap import Bootstrap
from clausius.services.app import Services

TOKEN = "ingest-token-for-the-sdk-0123456789"


def _boot(tmp_path: Path) -> Bootstrap:
    return Bootstrap(data_dir=tmp_path / "data", port=7272, ssh_user="u", ssh_key=tmp_path / "k", source_file=None)


def test_the_ingest_token_is_never_on_disk_and_still_verifies(tmp_path: Path) -> None:
    boot = _boot(tmp_path)
    services = Services.open(boot)
    try:
        asyncio.run(services.settings.set("sdk_ingest_token", TOKEN))
        assert services.settings.verify_secret("sdk_ingest_token", TOKEN)
        assert not services.settings.verify_secret("sdk_ingest_token", TOKEN + "x")
        assert not services.settings.verify_secret("sdk_ingest_token", "")
    finally:
        services.close()
    on_disk = b"".join(p.read_bytes() for p in boot.data_dir.rglob("history.db*"))
    assert TOKEN.encode() not in on_disk


def test_a_plain_text_token_from_an_older_version_is_hashed_at_start(tmp_path: Path) -> None:
    boot = _boot(tmp_path)
    Services.open(boot).close()
    with sqlite3.connect(boot.db_path) as conn:  # what an older clausius (or the v3 import) left
        conn.execute(
            "INSERT INTO app_settings (key, value_json, updated_at) VALUES ('sdk_ingest_token', ?, 0)",
            (json.dumps(TOKEN),),
        )
    services = Services.open(boot)
    try:
        assert services.settings.verify_secret("sdk_ingest_token", TOKEN)
    finally:
        services.close()
    with sqlite3.connect(boot.db_path) as conn:
        stored = json.loads(
            conn.execute("SELECT value_json FROM app_settings WHERE key='sdk_ingest_token'").fetchone()[0]
        )
    assert stored.startswith("pbkdf2-sha256$") and TOKEN not in stored


def test_the_migrated_plain_text_leaves_no_trace_in_the_files(tmp_path: Path) -> None:
    """After the hash replaces it, the old bytes are gone from the database file and its WAL, while serving."""
    boot = _boot(tmp_path)
    Services.open(boot).close()
    conn = sqlite3.connect(boot.db_path)
    with conn:
        conn.execute("PRAGMA secure_delete = OFF")  # as an older clausius wrote it
        conn.execute(
            "INSERT INTO app_settings (key, value_json, updated_at) VALUES ('sdk_ingest_token', ?, 0)",
            (json.dumps(TOKEN),),
        )
    conn.close()  # the last connection: its WAL is copied into the database file
    assert TOKEN.encode() in boot.db_path.read_bytes()
    services = Services.open(boot)
    try:
        on_disk = b"".join(p.read_bytes() for p in boot.data_dir.rglob("history.db*"))
        assert TOKEN.encode() not in on_disk  # checked while the service holds the database open
    finally:
        services.close()

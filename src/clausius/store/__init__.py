"""SQLite persistence: schema, migrations, one writer thread, repositories."""

"""`open_database`: the one place that knows every sink (the sinks import `database`'s types)."""

from __future__ import annotations

from hma_gui.core.etl.database import DbConfig, EtlDatabase


def open_database(config: DbConfig) -> EtlDatabase:
    """Connect to the configured target (raises `DatabaseError` with one clear line).

    The driver of the other dialect is not imported: the SQLite sink needs no PyMySQL.
    """
    if config.dialect == "sqlite":
        from hma_gui.core.etl.sqlite_sink import SqliteDatabase

        return SqliteDatabase(config)
    from hma_gui.core.etl.mysql_sink import MySqlDatabase

    return MySqlDatabase(config)

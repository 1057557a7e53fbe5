"""A connection PyMySQL dropped under us is 'lost the connection', not an AttributeError.

When the server dies while LOAD DATA LOCAL streams a file, PyMySQL force-closes
the connection (its socket becomes None) and its next packet write fails with
"'NoneType' object has no attribute 'sendall'". That is a lost connection: the
file fails with that reason and the run may reconnect, as for error 2013.
"""

from __future__ import annotations

from hma_gui.core.etl.database import DbConfig, DbErrorKind
from hma_gui.core.etl.mysql_connection import is_lost, translate


def test_pymysqls_closed_socket_is_a_lost_connection() -> None:
    config = DbConfig("mysql", host="db", port=3306, user="etl", database="mba", password="pw")
    for text in (
        "'NoneType' object has no attribute 'sendall'",
        "'NoneType' object has no attribute 'recv_into'",
        "'NoneType' object has no attribute 'settimeout'",
    ):
        exc = AttributeError(text)
        assert is_lost(exc)
        error = translate(exc, config)
        assert error.kind is DbErrorKind.LOST
        assert str(error).startswith("lost the connection to MySQL at db:3306")
    assert not is_lost(AttributeError("'Batch' object has no attribute 'rows'"))
    other = translate(AttributeError("'Batch' object has no attribute 'rows'"), config)
    assert other.kind is not DbErrorKind.LOST

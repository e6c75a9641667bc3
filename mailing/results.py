"""Where the worker writes each message's result: autocommitted, on a connection of its own.

Every result is written before the next message goes out, so a killed worker leaves at most the
message in hand sent but unrecorded. On PostgreSQL the worker does not wait for the answer to
that UPDATE: libpq's asynchronous call (`PQsendQueryParams`, its own implicit transaction, ended
by the Sync it sends) puts the statement on the wire, and its answer is read only before the next
message's content is written (`settle`), when it has long arrived. A statement on the wire is run
and committed by the server also if the worker dies right after sending it
(`tests/mailing/test_worker_faults.py`). Waiting for each answer was a third of a worker's time.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg
import sqlalchemy as sa
from psycopg import pq

from mailing.models import MessageStatus, OutgoingMessage

_outbox = OutgoingMessage.__table__
_RECORD_SENT = (
    _outbox.update().where(_outbox.c.id == sa.bindparam("row_id"))
    .values(status=MessageStatus.SENT, smtp_response=sa.bindparam("response"), sent_at=sa.bindparam("at"),
            message_id=sa.bindparam("mid"), leased_until=None, last_error=None)
)
# The same statement for libpq, parameters as text ($4 a timestamp with its offset).
_RECORD_SENT_SQL = (
    f"UPDATE {_outbox.name} SET status = '{MessageStatus.SENT.value}', smtp_response = $2, sent_at = $3::timestamptz, "
    "message_id = $4, leased_until = NULL, last_error = NULL WHERE id = $1::bigint"
).encode("ascii")


class ResultWriter:
    """Any database: each statement waits for its answer."""

    def __init__(self, connection: sa.Connection) -> None:
        self.connection = connection

    @staticmethod
    def for_engine(engine: sa.Engine) -> ResultWriter:
        connection = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        if connection.dialect.name == "postgresql":
            return PipelinedResultWriter(connection)
        return ResultWriter(connection)

    def record_sent(self, row_id: int, response: str, at: datetime, message_id: str | None) -> None:
        self.execute(_RECORD_SENT, {"row_id": row_id, "response": response, "at": at, "mid": message_id})

    def settle(self) -> None:
        """Makes sure every result written so far is recorded; raises if one was not."""

    def execute(self, statement: sa.Executable, parameters: dict[str, Any] | None = None) -> sa.CursorResult:
        self.settle()
        return self.connection.execute(statement, parameters)

    def scalar(self, statement: sa.Executable, parameters: dict[str, Any] | None = None) -> Any:
        self.settle()
        return self.connection.scalar(statement, parameters)

    def close(self) -> None:
        self.settle()
        self.connection.close()


class PipelinedResultWriter(ResultWriter):
    """PostgreSQL: `record_sent` sends its UPDATE without waiting; `settle` reads the answer.

    Without waiting for the WAL flush either (`synchronous_commit = off`): a crash of the database
    server (not of a worker) may forget the last fraction of a second of results, which are then
    sent again; a killed worker loses nothing that reached the server."""

    def __init__(self, connection: sa.Connection) -> None:
        super().__init__(connection)
        connection.exec_driver_sql("SET synchronous_commit TO off")
        driver = connection.connection.driver_connection
        assert isinstance(driver, psycopg.Connection)
        self._pgconn = driver.pgconn
        self._pending = False

    def record_sent(self, row_id: int, response: str, at: datetime, message_id: str | None) -> None:
        self.settle()
        values = [str(row_id).encode("ascii"), response.encode("utf-8"), at.isoformat().encode("ascii"),
                  message_id.encode("utf-8") if message_id is not None else None]
        # Blocking mode: it returns once the whole statement is in the socket, on its way.
        self._pgconn.send_query_params(_RECORD_SENT_SQL, values)
        self._pending = True

    def settle(self) -> None:
        if not self._pending:
            return
        self._pending = False
        failure: str | None = None
        while (result := self._pgconn.get_result()) is not None:
            if result.status != pq.ExecStatus.COMMAND_OK and failure is None:
                failure = (result.error_message or b"").decode("utf-8", "replace")
        if failure is not None:
            raise psycopg.OperationalError(f"recording a sent message failed: {failure}")

    def close(self) -> None:
        try:
            self.settle()
            self.connection.exec_driver_sql("RESET synchronous_commit")
        finally:
            self.connection.close()

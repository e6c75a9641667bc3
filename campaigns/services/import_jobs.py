"""The life of a contact import: uploaded, queued, run in the background chunk by chunk, resumed, cleaned up.

The mapping page queues an import and starts a thread in the web process to run it
(`start_in_background`); `flask campaigns tick` runs what is still queued and resumes what lost its
runner (`resume_due`). Each chunk of CHUNK_SIZE rows is committed together with the progress and the
report counts, so the progress page sees it move and a resumed import goes on at the first row that
was not committed: no row is written twice and none is skipped.

Two runners never process one import at the same time: a runner claims it with one conditional
UPDATE (`claim`), and every chunk starts by renewing the heartbeat on the condition that the claim is
still its own (`_hold`), which also locks the row until the chunk commits. A runner that was taken
over (its heartbeat went stale, then it woke up) finds its claim gone and stops without writing.
`tests/campaigns/test_import_jobs.py` proves both on PostgreSQL.
"""
from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from campaigns.models import ContactImport, ContactList, ImportStatus
from campaigns.services import importing
from core.db import after_commit, unit_of_work
from core.timeutils import UTCDateTime, utcnow
from extensions import db

# A running import whose heartbeat (renewed every chunk, a fraction of a second) is older lost its runner.
STALE_AFTER = timedelta(minutes=2)
# An upload whose columns were never chosen is deleted after this.
ABANDONED_AFTER = timedelta(hours=24)
# Claims after which an import that keeps losing its runner (e.g. a process killed by it) counts as failed.
MAX_ATTEMPTS = 5
RECENT = 10


class ImportJobError(Exception):
    """The import cannot be queued; `str(error)` is a Dutch message."""


class ClaimLost(Exception):
    """Another runner took the import over, or it was stopped: this runner must write nothing more."""


def upload(organisation_id: int, user_id: int, filename: str, data: bytes) -> ContactImport:
    """Stores a file that parses as CSV (`importing.ImportFileError` otherwise) for its mapping step."""
    parsed = importing.parse(data)
    job = ContactImport(organisation_id=organisation_id, created_by_id=user_id, filename=filename[:100], data=data,
                        total_rows=len(parsed.rows), status=ImportStatus.UPLOADED)
    db.session.add(job)
    db.session.flush()
    return job


def parsed_file(job: ContactImport) -> importing.ParsedFile:
    assert job.data is not None, "only an import that is not finished keeps its file"
    return importing.parse(job.data)


def queue(job: ContactImport, mapping: dict[str, int | None], list_id: int | None) -> None:
    """Hands an uploaded file with its chosen columns to the runners; flushes."""
    if mapping.get("email") is None:
        raise ImportJobError(_("Kies de kolom met het e-mailadres."))
    if list_id is not None and db.session.scalar(sa.select(ContactList.id).where(
            ContactList.id == list_id, ContactList.organisation_id == job.organisation_id)) is None:
        raise ImportJobError(_("Kies een van de lijsten."))
    # Conditional, so that a second click (or tab) cannot queue again an import that is already running.
    queued = db.session.execute(
        sa.update(ContactImport).where(ContactImport.id == job.id, ContactImport.status == ImportStatus.UPLOADED)
        .values(status=ImportStatus.QUEUED, mapping=mapping, list_id=list_id),
        execution_options={"synchronize_session": False},
    )
    if queued.rowcount != 1:
        raise ImportJobError(_("Dit bestand wordt al geïmporteerd."))
    db.session.expire(job)


def start_in_background(import_id: int) -> None:
    """Runs the import in a thread of this process, with its own app context and session, once the
    transaction that queued it has committed (never if it rolls back).

    Off with CONTACT_IMPORT_THREAD = False (the tests): the tick then runs it within a minute. A thread
    that dies with its process leaves a stale heartbeat, and the tick finishes the import."""
    if not current_app.config["CONTACT_IMPORT_THREAD"]:
        return
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def work() -> None:
        with app.app_context():
            for _rows in run(import_id):
                pass

    thread = threading.Thread(target=work, name=f"contact-import-{import_id}", daemon=True)
    after_commit(thread.start)


def _claimable(now: datetime) -> sa.ColumnElement[bool]:
    stale = sa.and_(ContactImport.status == ImportStatus.RUNNING, ContactImport.heartbeat_at < now - STALE_AFTER)
    return sa.and_(sa.or_(ContactImport.status == ImportStatus.QUEUED, stale), ContactImport.attempts < MAX_ATTEMPTS)


def claim(import_id: int) -> str | None:
    """Makes the import ours if it is queued or its runner went silent; the claim's token, or None. Commits.

    One UPDATE with the condition in its WHERE: of two runners, the second waits for the first's
    row lock (PostgreSQL) or the database lock (SQLite), then finds the condition false."""
    now = utcnow()
    token = secrets.token_hex(16)
    with unit_of_work():
        claimed = db.session.execute(
            sa.update(ContactImport).where(ContactImport.id == import_id, _claimable(now))
            .values(status=ImportStatus.RUNNING, runner=token, heartbeat_at=now, attempts=ContactImport.attempts + 1,
                    started_at=sa.func.coalesce(ContactImport.started_at, sa.literal(now, UTCDateTime()))),
            execution_options={"synchronize_session": False},
        )
    return token if claimed.rowcount == 1 else None


def run(import_id: int) -> Iterator[int]:
    """Claims the import and writes it chunk by chunk; yields the rows done after each chunk's commit.

    Yields nothing when the import is not claimable (another runner has it). Leaving the loop early
    leaves the import as a crash would: the tick resumes it once its heartbeat is stale."""
    token = claim(import_id)
    if token is None:
        return
    try:
        yield from _process(import_id, token)
    except ClaimLost:
        pass  # the chunk's unit of work rolled back: the new runner writes it
    except Exception:
        current_app.logger.exception("contact import %s failed", import_id)
        with unit_of_work():
            _end(import_id, token, ImportStatus.FAILED, error=_(
                "Het importeren is mislukt door een fout aan onze kant. De regels tot waar het misging zijn opgeslagen; "
                "importeer het bestand opnieuw om de rest toe te voegen (wie al bekend is, wordt niet dubbel opgeslagen)."))


def _process(import_id: int, token: str) -> Iterator[int]:
    """One unit of work per chunk; yields between them, after the commit."""
    with unit_of_work():
        job = db.session.get_one(ContactImport, import_id)
        rows = parsed_file(job).rows
        done = job.processed_rows
        writer = importing.row_writer(job.organisation_id, job.mapping or {}, job.filename, job.list_id,
                                      importing.ImportReport.from_json(job.report), rows[:done])
    while True:
        with unit_of_work():
            _hold(import_id, token)
            chunk = rows[done:done + importing.CHUNK_SIZE]
            writer.write(chunk, first_line=done + 2)  # line 1 is the header
            done += len(chunk)
            finished = done >= len(rows)
            _set(import_id, processed_rows=done, report=writer.report.to_json())
            if finished:
                _end(import_id, token, ImportStatus.DONE)
        yield done
        if finished:
            return


def _set(import_id: int, **values: Any) -> int:
    return db.session.execute(sa.update(ContactImport).where(ContactImport.id == import_id).values(**values),
                              execution_options={"synchronize_session": False}).rowcount


def _hold(import_id: int, token: str) -> None:
    """Renews the heartbeat if the claim is still ours, which locks the row until commit; else ClaimLost."""
    renewed = db.session.execute(
        sa.update(ContactImport)
        .where(ContactImport.id == import_id, ContactImport.runner == token, ContactImport.status == ImportStatus.RUNNING)
        .values(heartbeat_at=utcnow()),
        execution_options={"synchronize_session": False},
    )
    if renewed.rowcount != 1:
        raise ClaimLost


def _end(import_id: int, token: str, status: ImportStatus, error: str | None = None) -> None:
    """Finishes the import and drops its file (personal data the finished import no longer needs)."""
    db.session.execute(
        sa.update(ContactImport).where(ContactImport.id == import_id, ContactImport.runner == token)
        .values(status=status, error=error, finished_at=utcnow(), data=None, runner=None),
        execution_options={"synchronize_session": False},
    )


def stop(job: ContactImport, error: str) -> None:
    """Ends an unfinished import without its runner (which finds its claim gone at its next chunk)."""
    _set(job.id, status=ImportStatus.FAILED, error=error, finished_at=utcnow(), data=None, runner=None)


def due_ids(now: datetime) -> list[int]:
    query = sa.select(ContactImport.id).where(_claimable(now)).order_by(ContactImport.created_at)
    return list(db.session.scalars(query))


def resume_due() -> list[tuple[int, str]]:
    """Runs every queued import and every one that lost its runner, each to its end; (id, status) each."""
    now = utcnow()
    gave_up = sa.and_(ContactImport.status == ImportStatus.RUNNING, ContactImport.heartbeat_at < now - STALE_AFTER,
                      ContactImport.attempts >= MAX_ATTEMPTS)
    with unit_of_work():
        outcomes = [(import_id, ImportStatus.FAILED.value)
                    for import_id in db.session.scalars(sa.select(ContactImport.id).where(gave_up))]
        for import_id, _status in outcomes:
            stop(db.session.get_one(ContactImport, import_id), _(
                "Het importeren is %(count)s keer onderbroken en daarom gestopt. De regels tot waar het kwam zijn "
                "opgeslagen; importeer het bestand opnieuw om de rest toe te voegen.", count=MAX_ATTEMPTS))
    for import_id in due_ids(now):
        for _rows in run(import_id):
            pass
        outcomes.append((import_id, db.session.scalar(sa.select(ContactImport.status)
                                                      .where(ContactImport.id == import_id)).value))
    return outcomes


def remove_abandoned(now: datetime | None = None) -> int:
    """Deletes the uploads whose columns were not chosen within ABANDONED_AFTER, with their files; counts them."""
    cutoff = (now or utcnow()) - ABANDONED_AFTER
    return db.session.execute(
        sa.delete(ContactImport).where(ContactImport.status == ImportStatus.UPLOADED, ContactImport.created_at < cutoff),
        execution_options={"synchronize_session": False},
    ).rowcount


def recent(organisation_id: int) -> list[ContactImport]:
    query = (sa.select(ContactImport).where(ContactImport.organisation_id == organisation_id)
             .order_by(ContactImport.created_at.desc(), ContactImport.id.desc()).limit(RECENT))
    return list(db.session.scalars(query))

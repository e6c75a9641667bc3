"""A per-process snapshot of each public event: what its page, sign-up form and mail need.

A sign-up used to read the event, its organisation and its questions through the ORM on every
request: 45% of its CPU (bench/README.md, "Sign-up on one hot event"). Now a request checks its
snapshot with one Core SELECT (`queries.public_event`) and, when the key it read still matches,
copies the snapshot into its own session with `Session.merge(load=False)`, which sends no SQL.

The key is the event's `updated_at`, which every ORM change of the event raises, and which a change
of one of its questions raises too (the listener below), plus the organisation's row as read by
that same SELECT. So an organiser's edit is seen by the next request, in every process: nothing
here is trusted over the database, the database only says "unchanged" more cheaply.

The snapshots are detached objects, never in a session: a request gets its own copy. They live in
`app.extensions`, so each app (each test) has its own.
"""
from __future__ import annotations

from collections.abc import Hashable

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from core.timeutils import utcnow
from events.models import Event, Question
from extensions import db

_EXTENSION = "event_snapshots"
# Enough for every event on sale at once; an evicted one is read again, nothing else.
MAX_SNAPSHOTS = 256


def _snapshots() -> dict[int, tuple[Hashable, Event]]:
    return current_app.extensions.setdefault(_EXTENSION, {})


def fresh(event_id: int, key: Hashable) -> Event | None:
    """The snapshot as an object of the request's session, or None when there is none for `key`."""
    kept = _snapshots().get(event_id)
    if kept is None or kept[0] != key:
        return None
    return db.session.merge(kept[1], load=False)


def keep(event: Event, key: Hashable) -> None:
    """Keeps a detached copy of `event` (loaded with its organisation and questions) for `key`."""
    scratch = Session()
    copy = scratch.merge(event, load=False)
    scratch.close()  # detaches the copies, keeping what was loaded
    snapshots = _snapshots()
    if len(snapshots) >= MAX_SNAPSHOTS:
        snapshots.pop(next(iter(snapshots)))
    snapshots[event.id] = (key, copy)


@sa.event.listens_for(Session, "before_flush")
def _question_change_changes_event(session: Session, _context: object, _instances: object) -> None:
    """A question added, edited or removed is a change of its event's form: raise `updated_at`."""
    questions = [obj for obj in (*session.new, *session.dirty, *session.deleted) if isinstance(obj, Question)]
    for event_id in {_event_id(question) for question in questions} - {None}:
        event = session.get(Event, event_id)
        if event is not None:
            event.updated_at = utcnow()


def _event_id(question: Question) -> int | None:
    """Its event's id, also for a question added through `Question(event=...)`, whose `event_id`
    the flush has yet to set."""
    if question.event_id is not None:
        return question.event_id
    event = question.__dict__.get("event")
    return event.id if event is not None else None

"""The unit of work: one transaction per request, per command, per worker step.

A web request commits once, after its view returned an answer below 400; an answer of 400 or more
is rolled back, and so is every exception that leaves the view (`abort()`, a domain error), before
any error handler renders its page. Views and services flush but never commit. The one kind of
refusal that is itself the work (a refused scan at the door, kept in the check-in log) says so with
`keep_refusal()`. Work outside a request (commands, ticks, the mail worker, the import thread) wraps
each of its steps in `unit_of_work()`. `docs/architecture.md` ("How a request commits") has the rules.
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import Flask, current_app, g
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session, SessionTransaction
from werkzeug.wrappers import Response

from extensions import db

_AFTER_COMMIT = "after_commit"
Item = TypeVar("Item")
Done = TypeVar("Done")


class UnitOfWork:
    """The transaction of one `with unit_of_work()` block."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.discarded = False
        self.keeps_refusal = False

    def discard(self) -> None:
        """Roll back instead of committing when the block ends (a dry run, a refused request)."""
        self.discarded = True


@contextmanager
def unit_of_work(session: Session | None = None) -> Iterator[UnitOfWork]:
    """Commits what the block did when it ends, rolls it back on any exception (and re-raises),
    or when `discard()` was called. `session` defaults to the app's `db.session`."""
    work = UnitOfWork(session if session is not None else db.session())
    try:
        yield work
        if not work.discarded:
            work.session.commit()
            return
    except BaseException:
        _roll_back(work.session)
        raise
    _roll_back(work.session)


def each_in_its_own_unit(items: Iterable[Item], step: Callable[[Item], Done], *,
                         skipping: type[Exception]) -> list[Done]:
    """`step` for every item, each in a unit of work of its own, so that one item another process
    holds (it raises `skipping`, e.g. busy) is left for the next run and the rest go on."""
    done: list[Done] = []
    for item in items:
        try:
            with unit_of_work():
                done.append(step(item))
        except skipping:
            continue
    return done


def _roll_back(session: Session) -> None:
    session.rollback()
    session.info.pop(_AFTER_COMMIT, None)  # also when the block sent no SQL, so began no transaction


def after_commit(callback: Callable[[], None]) -> None:
    """Runs `callback` once the current transaction of `db.session` has committed (e.g. start a
    thread that reads what it wrote); never if it rolls back. The callback may not use the session."""
    db.session().info.setdefault(_AFTER_COMMIT, []).append(callback)


@sa.event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    for callback in session.info.pop(_AFTER_COMMIT, []):
        callback()


@sa.event.listens_for(Session, "after_transaction_end")
def _forget_after_rollback(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the outermost transaction ended without a commit: nothing runs
        session.info.pop(_AFTER_COMMIT, None)


class Refused(Exception):
    """Raised by a view to answer a refused action with its own page: the request's work is rolled
    back first, then `page(*args, **kwargs)` renders, from the database as it was before the action."""

    def __init__(self, page: Callable[..., ResponseReturnValue], *args: Any, **kwargs: Any) -> None:
        super().__init__("refused")
        self.page = functools.partial(page, *args, **kwargs)


def keep_refusal() -> None:
    """Commit this request's work even though its answer is a 4xx: the refusal is the record (a
    refused scan in the check-in log). Without it, an answer of 400 or more is rolled back."""
    g.unit_of_work.keeps_refusal = True


def register_unit_of_work(app: Flask) -> None:
    """Makes every view of `app` one unit of work; call it once every route is registered."""
    for endpoint, view in list(app.view_functions.items()):
        app.view_functions[endpoint] = _in_unit_of_work(view)
    app.register_error_handler(Refused, lambda refusal: refusal.page())
    app.teardown_request(_end_reading)


def _in_unit_of_work(view: Callable[..., ResponseReturnValue]) -> Callable[..., Response]:
    @functools.wraps(view)
    def run(**view_args: Any) -> Response:
        with unit_of_work() as work:
            g.unit_of_work = work
            # The answer is built (templates rendered) before the commit; a streamed body runs after
            # it, so its generator must take plain values, not ORM objects (they expire at commit).
            response = current_app.make_response(view(**view_args))
            if response.status_code >= 400 and not work.keeps_refusal:
                work.discard()
        return response

    run.is_unit_of_work = True  # type: ignore[attr-defined]
    return run


def _end_reading(_error: BaseException | None) -> None:
    """Ends the reading transaction of what ran after the view (an error page), if any."""
    db.session.rollback()

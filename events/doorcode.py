"""The door code: eight characters a person can read out when the QR scan fails (K7PX-M3QD).

Why guessing is useless: an event with N tickets has N of 25**8 = 1.5e11 codes, so one guess hits
with chance N / 1.5e11. The door counts only refused unknown codes against each user
(`events/views/checkin.py`, DOOR_GUESS_LIMIT: 30 a minute, 300 a day); with 1,000 tickets a full
day of guessing finds a valid code with chance 300 * 1,000 / 1.5e11 = 2e-6, and each guess is in
the check-in log under that user's name.
"""
from __future__ import annotations

import re

import sqlalchemy as sa

from events.models import DOOR_CODE_ALPHABET, DOOR_CODE_LENGTH, Registration, new_door_code
from extensions import db

# What people type for what they read: a look-alike of a kept symbol counts as that symbol.
LOOK_ALIKES = str.maketrans({"Z": "2", "S": "5", "B": "8"})
_SEPARATORS = re.compile(r"[\s\-–.]+")
_DOOR_CODE = re.compile(f"[{DOOR_CODE_ALPHABET}]{{{DOOR_CODE_LENGTH}}}")
CANDIDATES = 3


def normalise(typed: str) -> str | None:
    """The stored form of a typed door code (any case, with or without dash or spaces), or None
    when `typed` is not one (a QR secret is 32 characters)."""
    compact = _SEPARATORS.sub("", typed).upper().translate(LOOK_ALIKES)
    return compact if _DOOR_CODE.fullmatch(compact) else None


def claim(registration: Registration) -> bool:
    """Keeps the new registration's door code if no registration of its event has it, else gives it
    another; True when it changed. A parallel sign-up drawing the same code in the same instant
    (one in 1.5e11 / N) is stopped by the unique constraint (event_id, door_code): that sign-up is
    answered "busy, try again" like any other conflicting insert."""
    taken = _taken(registration.event_id, [registration.door_code])
    if not taken:
        return False
    registration.door_code = _unused(registration.event_id)
    return True


def _taken(event_id: int, candidates: list[str]) -> set[str]:
    return set(db.session.scalars(sa.select(Registration.door_code).where(
        Registration.event_id == event_id, Registration.door_code.in_(candidates))))


def _unused(event_id: int) -> str:
    """A collision is one in 1.5e11 / N: a few candidates per query, then again."""
    while True:
        candidates = [new_door_code() for _ in range(CANDIDATES)]
        taken = _taken(event_id, candidates)
        free = [code for code in candidates if code not in taken]
        if free:
            return free[0]

"""The follow-up surveys that are due, sent from `flask events tick` (events announces the tick)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Flask

from effect import services
from events.services.registration import EventBusy
from extensions import db


def send_due_followups(sender: Flask, now: datetime, **extra: Any) -> str:
    """Each survey in its own transaction, so one busy row does not hold back the rest."""
    sent = 0
    for response_id in services.followup_candidates(now):
        try:
            sent += services.send_followup(response_id, now)
            db.session.commit()
        except EventBusy:  # another tick holds this row; it sends, or the next tick does
            db.session.rollback()
    return f"Vervolgvragen: {sent}"

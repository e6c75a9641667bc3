"""The follow-up surveys that are due, sent from `flask events tick` (events announces the tick)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Flask

from core.db import unit_of_work
from effect import services
from events.services.registration import EventBusy


def send_due_followups(sender: Flask, now: datetime, **extra: Any) -> str:
    """Each survey in its own unit of work, so one busy row does not hold back the rest."""
    sent = 0
    for response_id in services.followup_candidates(now):
        try:
            with unit_of_work():
                sent += services.send_followup(response_id, now)
        except EventBusy:  # another tick holds this row; it sends, or the next tick does
            pass
    return f"Vervolgvragen: {sent}"

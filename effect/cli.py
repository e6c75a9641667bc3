"""The follow-up surveys that are due, sent from `flask events tick` (events announces the tick)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Flask

from core.db import each_in_its_own_unit
from effect import services
from events.services.registration import EventBusy


def send_due_followups(sender: Flask, now: datetime, **extra: Any) -> str:
    """Each survey in its own unit of work, so one busy row does not hold back the rest."""
    # A row another tick holds (EventBusy) is sent by that tick, or by the next one.
    sent = sum(each_in_its_own_unit(services.followup_candidates(now),
                                    lambda response_id: services.send_followup(response_id, now), skipping=EventBusy))
    return f"Vervolgvragen: {sent}"

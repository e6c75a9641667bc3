"""effect's answers to events' signals, connected once at app start (`connect_receivers`).

events imports no effect: it announces the thank-you mail and the tick, effect listens.
"""
from __future__ import annotations

from effect.cli import send_due_followups
from effect.notifications import evaluation_link
from events.signals import followup_link_wanted, ticked


def connect_receivers() -> None:
    followup_link_wanted.connect(evaluation_link)
    ticked.connect(send_due_followups)

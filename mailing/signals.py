"""What mailing announces; features listen (`campaigns/receivers.py`), mailing imports none of them."""
from __future__ import annotations

from blinker import Namespace

signals = Namespace()
# Sent with `message` (the row, its failure already recorded) when the relay refuses an address for
# good (5.1.x), so that the contacts feature can mark the contact bounced (in its own transaction).
message_bounced = signals.signal("message-bounced")

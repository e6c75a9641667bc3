"""What mailing announces; features listen (`campaigns/receivers.py`), mailing imports none of them."""
from __future__ import annotations

from blinker import Namespace

signals = Namespace()
# Sent with `message` (the row, its failure already recorded) when the relay refuses an address for
# good (5.1.x), so that the contacts feature can mark the contact bounced (in a unit of work of its own).
message_bounced = signals.signal("message-bounced")
# Sent with `campaign_id` when a batch settled (sent, or failed for good) the last row of that campaign
# that was still to be delivered, in a unit of work of its own: the campaigns feature marks it sent.
campaign_rows_settled = signals.signal("campaign-rows-settled")

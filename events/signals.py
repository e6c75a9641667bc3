"""What events announces; campaigns listens (`campaigns/receivers.py`), events imports no campaigns code."""
from __future__ import annotations

from blinker import Namespace

signals = Namespace()
# Sent with `registration` (flushed, not committed) when a new sign-up ticked "keep me informed";
# the campaigns feature starts its double opt-in in the same transaction.
keep_informed_requested = signals.signal("keep-informed-requested")

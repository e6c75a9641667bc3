"""What events announces; campaigns and effect listen (`campaigns/receivers.py`, `effect/receivers.py`),
events imports neither."""
from __future__ import annotations

from blinker import Namespace

signals = Namespace()
# Sent with `registration` (flushed, not committed) when a new sign-up ticked "keep me informed";
# the campaigns feature starts its double opt-in in the same transaction.
keep_informed_requested = signals.signal("keep-informed-requested")
# Sent while the thank-you mail to an attendee is composed; a receiver may answer with a
# FollowupLink to put in it (effect: the evaluation form). events knows no such feature itself.
followup_link_wanted = signals.signal("followup-link-wanted")
# Sent with `now` at the end of every `flask events tick`; a receiver (effect: the follow-up surveys)
# does its own due work in units of work of its own and answers with a line for the output.
ticked = signals.signal("events-ticked")
# Sent with `event` while its public sign-up form is made; a receiver may answer with a
# SignupSection (events/forms/public.py) of optional fields to add (effect: the knowledge check).
signup_section_wanted = signals.signal("signup-section-wanted")
# Sent with `registration` (flushed, not committed) and `answers` (the added sections' fields by
# name) after a public sign-up was stored; receivers store their part in the same transaction.
signed_up = signals.signal("signed-up")

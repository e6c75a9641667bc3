"""Human labels for the mail enums, translated at render time."""
from __future__ import annotations

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from mailing.models import MessageStatus

STATUS_LABELS: dict[str, LazyString] = {
    MessageStatus.QUEUED: _l("In de wachtrij"),
    MessageStatus.SENDING: _l("Wordt verstuurd"),
    MessageStatus.SENT: _l("Verstuurd"),
    MessageStatus.FAILED: _l("Mislukt"),
    MessageStatus.CANCELLED: _l("Geannuleerd"),
}

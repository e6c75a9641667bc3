"""Human names of the self-help audiences."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

AUDIENCE_LABELS = {"citizens": _l("Voor inwoners"), "businesses": _l("Voor ondernemers")}

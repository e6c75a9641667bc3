"""Forms of the mail admin pages."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField
from wtforms.validators import Email, Length, Optional


class RelayCheckForm(FlaskForm):
    recipient = EmailField(
        _l("Testbericht sturen aan (optioneel)"),
        validators=[Optional(), Length(max=254), Email(message=_l("Vul een geldig e-mailadres in."))],
    )

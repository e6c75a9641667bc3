"""Forms at the door: a typed code, a walk-in; both carry the device's nonce (a retry repeats it)."""
from __future__ import annotations

import secrets
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp

from core.formutils import InputRequired
from core.webutils import single_line, strip
from events.forms.public import SignupForm

NONCE_PATTERN = r"^[A-Za-z0-9_-]{8,64}$"
STALE_PAGE = _l("Ververs de pagina en probeer het opnieuw.")


def new_nonce() -> str:
    return secrets.token_urlsafe(16)


class DoorForm(FlaskForm):
    # Rendered fresh with every page, so resending the same form is recognised as the same scan.
    nonce = HiddenField(validators=[InputRequired(STALE_PAGE), Regexp(NONCE_PATTERN, message=STALE_PAGE)])
    device = StringField(_l("Naam van dit apparaat"), validators=[Optional(), Length(max=100)],
                         filters=[single_line])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.nonce.data:
            self.nonce.data = new_nonce()


class ScanForm(DoorForm):
    code = StringField(_l("Code van het toegangsbewijs"),
                       validators=[DataRequired(_l("Vul de code van het toegangsbewijs in.")), Length(max=200)],
                       filters=[strip])


class WalkInForm(DoorForm):
    """Someone without a registration at the door: the sign-up form's person fields."""

    name = SignupForm.name
    email = EmailField(_l("E-mailadres (niet verplicht)"),
                       validators=[Optional(), Email(_l("Dit is geen geldig e-mailadres.")), Length(max=254)],
                       filters=[strip])
    company_name = SignupForm.company_name
    phone = SignupForm.phone
    over_capacity = BooleanField(_l("Over capaciteit toestaan"))

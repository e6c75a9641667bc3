"""Account forms."""
from __future__ import annotations

import enum

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Email,
    EqualTo,
    Length,
    NumberRange,
    Optional,
    Regexp,
)

from accounts.embedding import MAX_ORIGINS, NotAnOrigin, embedding_origin
from accounts.labels import ORGANISATION_KIND_LABELS, ROLE_LABELS
from accounts.models import OrganisationKind, Role
from accounts.services import OrganisationSettings
from core.formutils import InputRequired
from core.webutils import NOT_OFFERED, single_line, strip

INVALID_EMAIL = _l("Dit is geen geldig e-mailadres.")



def email_field(label: str, *, required: bool = True) -> EmailField:
    presence = InputRequired(_l("Vul een e-mailadres in.")) if required else Optional()
    return EmailField(label, validators=[presence, Email(INVALID_EMAIL), Length(max=254)], filters=[strip])


def name_field() -> StringField:
    return StringField(_l("Naam"), validators=[InputRequired(_l("Vul een naam in.")), Length(max=200)],
                       filters=[single_line])


def choice_field(label: str, values: type[enum.StrEnum], labels: dict[str, LazyString]) -> SelectField:
    """A select of enum members; anything else is refused with a Dutch message (never a 500)."""
    return SelectField(label, choices=[SelectChoice(value.value, labels[value]) for value in values], coerce=values,
                       validators=[InputRequired(NOT_OFFERED)],
                       invalid_value_message=NOT_OFFERED, invalid_choice_message=NOT_OFFERED)


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mailadres"), validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField(_l("Wachtwoord"), validators=[DataRequired(), Length(max=200)])


class TwoFactorCodeForm(FlaskForm):
    code = StringField(
        _l("Code"),
        description=_l("De code van 6 cijfers uit uw app, of een van uw herstelcodes."),
        validators=[InputRequired(_l("Vul de code in.")), Length(max=40, message=_l("Deze code klopt niet."))],
        filters=[strip],
        render_kw={"autocomplete": "one-time-code"},
    )


class PasswordResetRequestForm(FlaskForm):
    email = email_field(_l("E-mailadres"))


class NewPasswordForm(FlaskForm):
    password = PasswordField(
        _l("Nieuw wachtwoord"),
        description=_l("Minstens 12 tekens. Een zin van een paar woorden is sterk en goed te onthouden."),
        validators=[
            InputRequired(_l("Vul een wachtwoord in.")),
            Length(min=12, max=200, message=_l("Een wachtwoord heeft 12 tot 200 tekens.")),
        ],
    )
    password_again = PasswordField(
        _l("Nieuw wachtwoord nog een keer"),
        validators=[InputRequired(_l("Vul het wachtwoord nog een keer in.")),
                    EqualTo("password", _l("De twee wachtwoorden zijn niet gelijk."))],
    )


class AcceptInvitationForm(NewPasswordForm):
    name = name_field()


class InviteForm(FlaskForm):
    name = name_field()
    email = email_field(_l("E-mailadres"))
    role = choice_field(_l("Rol"), Role, ROLE_LABELS)


class RoleForm(FlaskForm):
    role = choice_field(_l("Rol"), Role, ROLE_LABELS)


class OriginListField(TextAreaField):
    """One https origin a line, kept as a list of origins in their normal form."""

    def _value(self) -> str:
        return "\n".join(self.data or [])

    def process_formdata(self, valuelist: list[str]) -> None:
        lines = valuelist[0].splitlines() if valuelist else []
        self.raw_lines = [line.strip() for line in lines if line.strip()]
        self.data = []
        for line in self.raw_lines:
            try:
                origin = embedding_origin(line)
            except NotAnOrigin as error:
                raise ValueError(_l("%(line)s is geen https-adres van een website (zoals https://www.gemeente.nl).",
                                    line=line[:100])) from error
            if origin not in self.data:
                self.data.append(origin)
        if len(self.data) > MAX_ORIGINS:
            raise ValueError(_l("Geef hoogstens %(count)s websites op.", count=MAX_ORIGINS))


class OrganisationForm(FlaskForm):
    name = StringField(_l("Naam"), validators=[InputRequired(_l("Vul een naam in.")), Length(max=200)],
                       filters=[single_line])
    slug = StringField(
        _l("Webadres (kort)"),
        description=_l("Kleine letters, cijfers en streepjes, bijvoorbeeld gemeente-utrecht."),
        validators=[InputRequired(_l("Vul een kort webadres in.")), Length(max=100),
                    Regexp(r"^[a-z0-9]+(-[a-z0-9]+)*$",
                           message=_l("Gebruik alleen kleine letters, cijfers en streepjes."))],
        filters=[strip],
    )
    kind = choice_field(_l("Soort"), OrganisationKind, ORGANISATION_KIND_LABELS)
    brand_colour = StringField(
        _l("Huiskleur"), default="#154273", description=_l("Als #RRGGBB, bijvoorbeeld #154273."),
        validators=[InputRequired(_l("Vul een kleur in.")),
                    Regexp(r"^#[0-9A-Fa-f]{6}$", message=_l("Schrijf de kleur als #RRGGBB, bijvoorbeeld #154273."))],
        filters=[strip],
    )
    logo_url = URLField(
        _l("Adres van het logo"),
        validators=[Optional(), Length(max=500),
                    Regexp(r"^https://[^\s/]+\.[^\s]+$", message=_l("Gebruik een https://-adres."))],
        filters=[strip],
    )
    mail_from_name = StringField(_l("Afzendernaam van e-mail"), validators=[Optional(), Length(max=200)],
                                 filters=[single_line])
    mail_from_address = email_field(_l("Afzenderadres van e-mail"), required=False)
    reply_to = email_field(_l("Antwoordadres (reply-to)"), required=False)
    privacy_contact = StringField(_l("Contact voor privacyvragen"), validators=[Optional(), Length(max=254)],
                                  filters=[single_line])
    privacy_statement = TextAreaField(
        _l("Privacyverklaring"), description=_l("Staat bij elk aanmeldformulier van deze organisatie."),
        validators=[Optional(), Length(max=20000)], filters=[strip],
    )
    retention_days = IntegerField(
        _l("Bewaartermijn (dagen)"), default=365,
        description=_l("Na zoveel dagen na een bijeenkomst worden de gegevens van deelnemers geanonimiseerd."),
        validators=[InputRequired(_l("Vul een aantal dagen in.")),
                    NumberRange(min=1, max=3650, message=_l("Kies een aantal van 1 tot en met 3650 dagen."))],
    )

    embed_origins = OriginListField(
        _l("Websites die de agenda en het aanmeldformulier mogen insluiten"),
        description=_l("Eén adres per regel, zoals https://www.gemeente.nl. Alleen deze websites kunnen de "
                       "agenda en het nieuwsbriefformulier in een iframe tonen."),
    )

    def settings(self) -> OrganisationSettings:
        return OrganisationSettings(
            name=self.name.data,
            slug=self.slug.data,
            kind=self.kind.data,
            brand_colour=self.brand_colour.data.lower(),
            logo_url=self.logo_url.data or None,
            mail_from_name=self.mail_from_name.data or None,
            mail_from_address=self.mail_from_address.data or None,
            reply_to=self.reply_to.data or None,
            privacy_contact=self.privacy_contact.data or None,
            privacy_statement=self.privacy_statement.data or "",
            retention_days=self.retention_days.data,
            embed_origins=list(self.embed_origins.data or []),
        )


# The "every organisation" choice of a regional admin in the subject access request form.
ALL_ORGANISATIONS = 0


class SubjectRequestForm(FlaskForm):
    """Whose data (an address), and in which organisation, for an export or an erasure."""

    email = email_field(_l("E-mailadres van de betrokkene"))
    organisation_id = SelectField(_l("Organisatie"), coerce=int, validators=[InputRequired(NOT_OFFERED)],
                                  invalid_value_message=NOT_OFFERED, invalid_choice_message=NOT_OFFERED)


class ErasureForm(SubjectRequestForm):
    confirm = BooleanField(_l("Ik begrijp dat dit niet ongedaan kan worden"),
                           validators=[InputRequired(_l("Bevestig dat de gegevens gewist mogen worden."))])

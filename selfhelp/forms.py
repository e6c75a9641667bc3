"""The self-help page editor: a title, an audience, a summary and the text in Markdown."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from core.formutils import label_choices
from core.webutils import NOT_OFFERED, single_line, strip
from selfhelp.labels import AUDIENCE_LABELS
from selfhelp.models import PageAudience
from selfhelp.services import PageData

BODY_MAX_LENGTH = 20_000


class PageForm(FlaskForm):
    organisation_id = SelectField(_l("Organisatie"), coerce=int, validate_choice=True,
                                  invalid_choice_message=NOT_OFFERED)
    title = StringField(_l("Titel"), validators=[InputRequired(_l("Vul een titel in.")), Length(max=200)],
                        filters=[single_line])
    audience = SelectField(_l("Voor wie"), choices=label_choices(AUDIENCE_LABELS),
                           validate_choice=True, invalid_choice_message=NOT_OFFERED)
    summary = StringField(_l("Samenvatting"), validators=[Optional(), Length(max=300)], filters=[single_line],
                          description=_l("Eén zin; staat in de lijst onder de titel."))
    body = TextAreaField(_l("Tekst"), validators=[InputRequired(_l("Schrijf de tekst van de pagina.")),
                                                  Length(max=BODY_MAX_LENGTH)], filters=[strip],
                         description=_l("In Markdown: een lege regel tussen alinea's, ## voor een tussenkop, "
                                        "- voor een opsomming, [tekst](https://adres) voor een link."))
    published = BooleanField(_l("Gepubliceerd (zichtbaar voor iedereen)"))

    def data_for_service(self) -> PageData:
        return PageData(title=self.title.data or "", audience=PageAudience(self.audience.data),
                        summary=self.summary.data, body=self.body.data or "", published=bool(self.published.data))


class DeleteForm(FlaskForm):
    """Only the CSRF token: the button is the decision."""

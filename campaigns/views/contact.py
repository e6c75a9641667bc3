"""The admin page of one contact: what is stored and sent, editing, unsubscribe, resend confirmation, erase."""
from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from accounts.models import Organisation
from campaigns.forms import ContactForm
from campaigns.labels import BOUNCE_KIND_LABELS
from campaigns.models import Contact, Topic
from campaigns.services import bounces, groups
from campaigns.services import contact_admin as service
from core import audit
from core.permissions import Permission, requires, scoped_or_404
from extensions import db
from mailing.labels import STATUS_LABELS as MAIL_STATUS_LABELS

blueprint = Blueprint("contact", __name__, url_prefix="/beheer/contacten")


def _contact_or_404(contact_id: int) -> Contact:
    return scoped_or_404(Contact, contact_id, Permission.MANAGE_CAMPAIGNS)


def _form(contact: Contact) -> ContactForm:
    form = ContactForm(data={
        "name": contact.name, "audience": contact.audience, "municipality": contact.municipality,
        "topics": [topic.value for topic in contact.topic_values],
        "list_ids": [contact_list.id for contact_list in contact.lists], "tag_ids": [tag.id for tag in contact.tags],
    })
    form.list_ids.choices = [SelectChoice(c.id, c.name) for c, _n in groups.counted(groups.LISTS, contact.organisation_id)]
    form.tag_ids.choices = [SelectChoice(t.id, t.name) for t, _n in groups.counted(groups.TAGS, contact.organisation_id)]
    return form


def _render(contact: Contact, form: ContactForm, status: int = 200) -> tuple[str, int]:
    return render_template(
        "campaigns/contact.html", contact=contact, form=form,
        organisation=db.session.get_one(Organisation, contact.organisation_id),
        campaigns=service.campaigns_sent(contact), registrations=service.registrations_of(contact),
        unsubscribed_via=service.unsubscribed_via(contact),
        erased=service.is_erased(contact), can_resend=service.can_resend_confirmation(contact),
        can_unsubscribe=contact.status in service.STILL_MAILABLE,
        mail_status_labels=MAIL_STATUS_LABELS, bounce_reports=bounces.reports_for(contact),
        bounce_kind_labels=BOUNCE_KIND_LABELS,
    ), status


@blueprint.route("/<int:contact_id>", methods=["GET", "POST"])
@requires(Permission.MANAGE_CAMPAIGNS)
def show(contact_id: int) -> Response | tuple[str, int]:
    contact = _contact_or_404(contact_id)
    form = _form(contact)
    if request.method == "GET":
        audit.record("contact.viewed", "contact", contact.id, organisation_id=contact.organisation_id)
        return _render(contact, form)
    if not form.validate_on_submit():
        return _render(contact, form, 400)
    changes = service.ContactChanges(
        name=form.name.data, audience=form.audience.data, municipality=form.municipality.data,
        topics=[Topic(value) for value in form.topics.data or []],
        list_ids=form.list_ids.data or [], tag_ids=form.tag_ids.data or [],
    )
    service.update_contact(contact, changes)  # refused: ContactError, a 409 (app.refusal_codes)
    audit.record("contact.updated", "contact", contact.id, organisation_id=contact.organisation_id)
    flash(_("Het contact is opgeslagen."), "success")
    return redirect(url_for("contact.show", contact_id=contact.id))


def _consent_action(contact: Contact, change: Callable[[], object], action: str, done_message: str) -> Response:
    """Runs one consent change of the service (refused: ContactError, a 409), audits it, and returns
    to the contact page."""
    change()
    audit.record(action, "contact", contact.id, organisation_id=contact.organisation_id)
    flash(done_message, "success")
    return redirect(url_for("contact.show", contact_id=contact.id))


@blueprint.post("/<int:contact_id>/afmelden")
@requires(Permission.MANAGE_CAMPAIGNS)
def unsubscribe(contact_id: int) -> Response:
    contact = _contact_or_404(contact_id)
    return _consent_action(contact, lambda: service.unsubscribe(contact), "contact.unsubscribed",
                           _("Het contact is afgemeld en krijgt geen campagnes meer."))


@blueprint.post("/<int:contact_id>/bevestigingsmail")
@requires(Permission.MANAGE_CAMPAIGNS)
def resend_confirmation(contact_id: int) -> Response:
    contact = _contact_or_404(contact_id)
    organisation = db.session.get_one(Organisation, contact.organisation_id)
    return _consent_action(contact, lambda: service.resend_confirmation(organisation, contact),
                           "contact.confirmation_resent", _("De bevestigingsmail is opnieuw verstuurd."))


@blueprint.route("/<int:contact_id>/wissen", methods=["GET", "POST"])
@requires(Permission.MANAGE_CAMPAIGNS)
def erase(contact_id: int) -> Response | str:
    """GET asks for confirmation; POST anonymises the contact with the AVG erasure."""
    contact = _contact_or_404(contact_id)
    if request.method == "GET":
        audit.record("contact.viewed", "contact", contact.id, organisation_id=contact.organisation_id)
        return render_template("campaigns/contact_erase.html", contact=contact, form=FlaskForm(),
                               erased=service.is_erased(contact))
    organisation_id = contact.organisation_id
    service.erase(contact)  # refused: ContactError, a 409 (app.refusal_codes)
    audit.record("contact.erased", "contact", contact_id, organisation_id=organisation_id)
    flash(_("Het contact is gewist: adres, naam en voorkeuren zijn geanonimiseerd."), "success")
    return redirect(url_for("contacts.index", organisatie=organisation_id))

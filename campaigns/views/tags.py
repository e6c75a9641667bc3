"""Admin pages for tags: create, rename, delete, and put a tag on (or off) every contact a filter finds."""
from __future__ import annotations

from dataclasses import asdict

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from accounts import audit
from accounts.models import Organisation
from accounts.permissions import Permission, requires, scoped_or_404
from campaigns.forms import BulkTagForm, TagForm
from campaigns.models import ContactTag
from campaigns.services import tags as service
from campaigns.services.contacts import ContactError
from campaigns.views.contacts import contact_filters
from campaigns.views.scope import chosen_organisation
from extensions import db

blueprint = Blueprint("tags", __name__, url_prefix="/beheer/contacten/labels")


def _tag_or_404(tag_id: int) -> ContactTag:
    return scoped_or_404(ContactTag, tag_id, Permission.MANAGE_CAMPAIGNS)


def _render(organisation: Organisation, form: TagForm, status: int = 200, *, failed_tag_id: int | None = None,
            error: str | None = None) -> tuple[str, int]:
    return render_template("campaigns/tags.html", organisation=organisation, form=form,
                           tags=service.tags_for(organisation.id), failed_tag_id=failed_tag_id, error=error), status


@blueprint.route("/", methods=["GET", "POST"])
@requires(Permission.MANAGE_CAMPAIGNS)
def index() -> Response | tuple[str, int]:
    organisation = chosen_organisation()
    form = TagForm()
    if request.method == "GET":
        return _render(organisation, form)
    if form.validate_on_submit():
        try:
            service.create_tag(organisation.id, form.name.data)
        except ContactError as error:
            form.name.errors = [str(error)]
        else:
            db.session.commit()
            flash(_("Het label is aangemaakt."), "success")
            return redirect(url_for("tags.index", organisatie=organisation.id))
    return _render(organisation, form, 400)


@blueprint.post("/<int:tag_id>/hernoemen")
@requires(Permission.MANAGE_CAMPAIGNS)
def rename(tag_id: int) -> Response | tuple[str, int]:
    tag = _tag_or_404(tag_id)
    organisation = db.session.get_one(Organisation, tag.organisation_id)
    form = TagForm()
    if form.validate_on_submit():
        try:
            service.rename_tag(tag, form.name.data)
        except ContactError as error:
            form.name.errors = [str(error)]
        else:
            db.session.commit()
            flash(_("Het label heet nu %(name)s.", name=tag.name), "success")
            return redirect(url_for("tags.index", organisatie=organisation.id))
    return _render(organisation, TagForm(formdata=None), 400, failed_tag_id=tag.id, error=" ".join(map(str, form.name.errors)))


@blueprint.post("/<int:tag_id>/verwijderen")
@requires(Permission.MANAGE_CAMPAIGNS)
def delete(tag_id: int) -> Response | tuple[str, int]:
    tag = _tag_or_404(tag_id)
    organisation = db.session.get_one(Organisation, tag.organisation_id)
    try:
        service.delete_tag(tag)
    except ContactError as error:
        db.session.rollback()
        return _render(organisation, TagForm(formdata=None), 409, failed_tag_id=tag_id, error=str(error))
    db.session.commit()
    flash(_("Het label is verwijderd."), "success")
    return redirect(url_for("tags.index", organisatie=organisation.id))


@blueprint.post("/toepassen")
@requires(Permission.MANAGE_CAMPAIGNS)
def apply() -> Response:
    """Adds (`actie=toevoegen`) or removes (`actie=verwijderen`) a tag for every contact the
    contacts page's current filters find, in one statement."""
    organisation = chosen_organisation()
    form = BulkTagForm()
    form.tag_id.choices = [SelectChoice(tag.id, tag.name) for tag, _n in service.tags_for(organisation.id)]
    action = request.form.get("actie")
    if not form.validate_on_submit() or action not in ("toevoegen", "verwijderen"):
        abort(400, description=" ".join(map(str, form.tag_id.errors)) or _("Kies een label en wat ermee moet gebeuren."))
    tag = db.session.get_one(ContactTag, form.tag_id.data)
    filters = contact_filters(request.form)
    if action == "toevoegen":
        count = service.tag_matching(tag, filters)
        message = ngettext("Label %(name)s is aan %(num)s contact gegeven.",
                           "Label %(name)s is aan %(num)s contacten gegeven.", count, name=tag.name)
    else:
        count = service.untag_matching(tag, filters)
        message = ngettext("Label %(name)s is bij %(num)s contact weggehaald.",
                           "Label %(name)s is bij %(num)s contacten weggehaald.", count, name=tag.name)
    audit.record("contacts.tagged" if action == "toevoegen" else "contacts.untagged", "contact_tag", tag.id,
                 organisation_id=organisation.id, count=count, filters=asdict(filters))
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("contacts.index", organisatie=organisation.id, zoek=filters.search,
                            status=filters.status, lijst=filters.list_id, label=filters.tag_id))

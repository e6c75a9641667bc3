"""Admin pages for lists and tags: create, rename, delete, and add (or take out) every contact a
filter of the contacts page finds. One set of views serves both (`campaigns.services.groups`)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import StringField

from accounts.models import Organisation
from campaigns.services import groups as service
from campaigns.services.contacts import ContactError
from campaigns.views.contacts import contact_filters
from campaigns.views.scope import chosen_organisation
from core import audit
from core.db import Refused
from core.permissions import Permission, requires, scoped_or_404
from core.webutils import optional_id, single_line
from extensions import db


class GroupNameForm(FlaskForm):
    """The name is checked by the service (empty, too long, taken), with the words of its kind."""

    name = StringField(filters=[single_line])


@dataclass(frozen=True)
class GroupPages:
    grouping: service.Grouping
    blueprint_name: str
    url_prefix: str
    index_rule: str
    texts: Callable[[], dict[str, str]]  # the page's words, looked up per request (language)
    added: Callable[[str, int], str]
    removed: Callable[[str, int], str]
    audit_kind: str
    audit_actions: tuple[str, str]  # (added, taken out)
    export_endpoint: str | None = None


def _list_texts() -> dict[str, str]:
    return {
        "title": _("Lijsten"), "heading": _("Lijsten van %(name)s"), "group": _("Lijst"), "new": _("Nieuwe lijst"),
        "name": _("Naam van de lijst"), "create": _("Lijst aanmaken"), "created": _("De lijst is aangemaakt."),
        "deleted": _("De lijst is verwijderd."), "confirm": _("Lijst %(name)s verwijderen?"),
        "members": _("Contacten op deze lijst: %(num)s. Zij blijven bestaan; alleen de lijst verdwijnt."),
        "renamed": _("De lijst heet nu %(name)s."),
        "intro": _("Een lijst verzamelt contacten, bijvoorbeeld uit een import. Een campagne kan naar één lijst "
                   "gaan. Op de pagina Contacten zet u alle gevonden contacten tegelijk op een lijst."),
    }


def _tag_texts() -> dict[str, str]:
    return {
        "title": _("Labels"), "heading": _("Labels van %(name)s"), "group": _("Label"), "new": _("Nieuw label"),
        "name": _("Naam van het label"), "create": _("Label aanmaken"), "created": _("Het label is aangemaakt."),
        "deleted": _("Het label is verwijderd."), "confirm": _("Label %(name)s verwijderen?"),
        "members": _("Contacten met dit label: %(num)s. Zij blijven bestaan; alleen het label verdwijnt."),
        "renamed": _("Het label heet nu %(name)s."),
        "intro": _("Met labels deelt u contacten zelf in, bijvoorbeeld per wijk of vereniging. Een campagne kan "
                   "naar de contacten met één label gaan. Op de pagina Contacten geeft u alle gevonden contacten "
                   "tegelijk een label."),
    }


LIST_PAGES = GroupPages(
    service.LISTS, "lists", "/beheer/contacten/lijsten", "", _list_texts,
    added=lambda name, count: ngettext("%(num)s contact is op lijst %(name)s gezet.",
                                       "%(num)s contacten zijn op lijst %(name)s gezet.", count, name=name),
    removed=lambda name, count: ngettext("%(num)s contact is van lijst %(name)s gehaald.",
                                         "%(num)s contacten zijn van lijst %(name)s gehaald.", count, name=name),
    audit_kind="contact_list", audit_actions=("contacts.listed", "contacts.unlisted"), export_endpoint="contacts.export",
)
TAG_PAGES = GroupPages(
    service.TAGS, "tags", "/beheer/contacten/labels", "/", _tag_texts,
    added=lambda name, count: ngettext("Label %(name)s is aan %(num)s contact gegeven.",
                                       "Label %(name)s is aan %(num)s contacten gegeven.", count, name=name),
    removed=lambda name, count: ngettext("Label %(name)s is bij %(num)s contact weggehaald.",
                                         "Label %(name)s is bij %(num)s contacten weggehaald.", count, name=name),
    audit_kind="contact_tag", audit_actions=("contacts.tagged", "contacts.untagged"),
)


def group_blueprint(pages: GroupPages) -> Blueprint:
    blueprint = Blueprint(pages.blueprint_name, __name__, url_prefix=pages.url_prefix)
    grouping = pages.grouping
    key = grouping.key

    def group_or_404(group_id: int) -> service.Group:
        return scoped_or_404(grouping.model, group_id, Permission.MANAGE_CAMPAIGNS)

    def render(organisation: Organisation, form: GroupNameForm, status: int = 200, *,
               failed_id: int | None = None, error: str | None = None) -> tuple[str, int]:
        texts = pages.texts()
        form.name.label.text = texts["name"]
        return render_template("campaigns/groups.html", organisation=organisation, form=form, texts=texts,
                               groups=service.counted(grouping, organisation.id), endpoints=pages.blueprint_name,
                               key=key, max_length=grouping.name_length, export_endpoint=pages.export_endpoint,
                               failed_id=failed_id, error=error), status

    def back_to_index(organisation: Organisation) -> Response:
        return redirect(url_for(f"{pages.blueprint_name}.index", organisatie=organisation.id))

    @blueprint.route(pages.index_rule, methods=["GET", "POST"])
    @requires(Permission.MANAGE_CAMPAIGNS)
    def index() -> Response | tuple[str, int]:
        organisation = chosen_organisation()
        form = GroupNameForm()
        if request.method == "GET":
            return render(organisation, form)
        if form.validate_on_submit():
            try:
                service.create(grouping, organisation.id, form.name.data or "")
            except ContactError as error:
                form.name.errors = [str(error)]
            else:
                flash(pages.texts()["created"], "success")
                return back_to_index(organisation)
        return render(organisation, form, 400)

    @blueprint.post(f"/<int:{key}>/hernoemen")
    @requires(Permission.MANAGE_CAMPAIGNS)
    def rename(**ids: int) -> Response | tuple[str, int]:
        group = group_or_404(ids[key])
        organisation = db.session.get_one(Organisation, group.organisation_id)
        form = GroupNameForm()
        if form.validate_on_submit():
            try:
                service.rename(grouping, group, form.name.data or "")
            except ContactError as error:
                raise Refused(render, organisation, GroupNameForm(formdata=None), 400, failed_id=ids[key],
                              error=str(error)) from error
            flash(pages.texts()["renamed"] % {"name": group.name}, "success")
            return back_to_index(organisation)
        return render(organisation, GroupNameForm(formdata=None), 400, failed_id=group.id,
                      error=" ".join(map(str, form.errors.get("csrf_token", []))))

    @blueprint.route(f"/<int:{key}>/verwijderen", methods=["GET", "POST"])
    @requires(Permission.MANAGE_CAMPAIGNS)
    def delete(**ids: int) -> Response | tuple[str, int] | str:
        """GET asks for confirmation, saying how many contacts are in the group; POST deletes."""
        group = group_or_404(ids[key])
        organisation = db.session.get_one(Organisation, group.organisation_id)
        if request.method == "GET":
            return render_template("campaigns/group_delete.html", organisation=organisation, group=group,
                                   members=service.member_count(grouping, group), texts=pages.texts(),
                                   endpoints=pages.blueprint_name, key=key, form=FlaskForm())
        if not FlaskForm().validate_on_submit():
            abort(400)
        try:
            service.delete(grouping, group)
        except ContactError as error:
            raise Refused(render, organisation, GroupNameForm(formdata=None), 409, failed_id=ids[key],
                          error=str(error)) from error
        flash(pages.texts()["deleted"], "success")
        return back_to_index(organisation)

    @blueprint.post("/toepassen")
    @requires(Permission.MANAGE_CAMPAIGNS)
    def apply() -> Response:
        """Adds (`actie=toevoegen`) or takes out (`actie=verwijderen`) every contact the contacts
        page's current filters find, in one statement."""
        organisation = chosen_organisation()
        action = request.form.get("actie")
        chosen = optional_id(request.form.get(key, ""))
        if not FlaskForm().validate_on_submit() or action not in ("toevoegen", "verwijderen") or chosen is None:
            abort(400, description=_("Kies een lijst of label en wat ermee moet gebeuren."))
        try:
            (group,) = service.of_organisation(grouping, organisation.id, [chosen])
        except ContactError as error:
            abort(400, description=str(error))
        filters = contact_filters(request.form)
        adding = action == "toevoegen"
        count = (service.add_matching if adding else service.remove_matching)(grouping, group, filters)
        audit.record(pages.audit_actions[0 if adding else 1], pages.audit_kind, group.id,
                     organisation_id=organisation.id, count=count, filters=asdict(filters))
        flash((pages.added if adding else pages.removed)(group.name, count), "success")
        return redirect(url_for("contacts.index", organisatie=organisation.id, zoek=filters.search,
                                status=filters.status, lijst=filters.list_id, label=filters.tag_id))

    return blueprint

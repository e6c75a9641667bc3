"""Organisations and their users: settings, members, invitations, roles."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from accounts import services
from accounts.forms import InviteForm, OrganisationForm, RoleForm
from accounts.models import Membership, Organisation
from core import audit
from core.db import Refused
from core.permissions import Permission, ensure_can, organisations_for, requires, requires_regional_admin
from extensions import db

blueprint = Blueprint("organisations", __name__, url_prefix="/beheer/organisaties")


def _organisation_or_404(organisation_id: int, permission: Permission) -> Organisation:
    ensure_can(permission, organisation_id)
    return db.get_or_404(Organisation, organisation_id)


def _membership_or_404(organisation: Organisation, membership_id: int) -> Membership:
    membership = db.session.get(Membership, membership_id)
    if membership is None or membership.organisation_id != organisation.id:
        abort(404)
    return membership


@blueprint.route("/")
@requires(Permission.MANAGE_ORGANISATION)
def index() -> str:
    organisations = organisations_for(current_user, Permission.MANAGE_ORGANISATION)
    return render_template("accounts/organisations.html", organisations=organisations)


@blueprint.route("/nieuw", methods=["GET", "POST"])
@requires_regional_admin
def create() -> str | tuple[str, int] | Response:
    form = OrganisationForm()
    if not form.validate_on_submit():
        return _render_settings(form, None, 400 if form.errors else 200)
    try:
        organisation = services.create_organisation(form.settings())
    except services.SlugTaken as error:
        form.slug.errors.append(str(error))
        raise Refused(_render_settings, form, None, 409) from error
    flash(_("Organisatie %(name)s aangemaakt.", name=organisation.name), "success")
    return redirect(url_for("organisations.members", organisation_id=organisation.id))


@blueprint.route("/<int:organisation_id>/instellingen", methods=["GET", "POST"])
@requires(Permission.MANAGE_ORGANISATION)
def edit(organisation_id: int) -> str | tuple[str, int] | Response:
    organisation = _organisation_or_404(organisation_id, Permission.MANAGE_ORGANISATION)
    form = OrganisationForm(obj=organisation)
    if not form.validate_on_submit():
        return _render_settings(form, organisation, 400 if form.errors else 200)
    try:
        services.update_organisation(organisation, form.settings())
    except services.SlugTaken as error:
        form.slug.errors.append(str(error))
        raise Refused(_render_settings, form, organisation, 409) from error
    flash(_("De instellingen zijn opgeslagen."), "success")
    return redirect(url_for("organisations.edit", organisation_id=organisation.id))


def _render_settings(form: OrganisationForm, organisation: Organisation | None, status: int) -> tuple[str, int]:
    return render_template("accounts/organisation_settings.html", form=form, organisation=organisation), status


@blueprint.route("/<int:organisation_id>/gebruikers", methods=["GET", "POST"])
@requires(Permission.MANAGE_USERS)
def members(organisation_id: int) -> str | tuple[str, int] | Response:
    organisation = _organisation_or_404(organisation_id, Permission.MANAGE_USERS)
    form = InviteForm()
    if not form.validate_on_submit():
        return _render_members(organisation, form, 400 if form.errors else 200)
    try:
        membership = services.invite(organisation, form.name.data, form.email.data, form.role.data)
        audit.record("member.invited", "user", membership.user_id, organisation_id=organisation.id, role=form.role.data)
    except services.MembershipExists as error:
        raise Refused(_render_members, organisation, form, 409, error=str(error)) from error
    flash(_("%(email)s is uitgenodigd.", email=membership.user.email), "success")
    return redirect(url_for("organisations.members", organisation_id=organisation.id))


def _render_members(organisation: Organisation, form: InviteForm, status: int,
                    error: str | None = None) -> tuple[str, int]:
    return render_template("accounts/members.html", organisation=organisation, form=form, error=error,
                           members=services.members(organisation.id)), status


@blueprint.post("/<int:organisation_id>/gebruikers/<int:membership_id>/rol")
@requires(Permission.MANAGE_USERS)
def change_role(organisation_id: int, membership_id: int) -> tuple[str, int] | Response:
    organisation = _organisation_or_404(organisation_id, Permission.MANAGE_USERS)
    membership = _membership_or_404(organisation, membership_id)
    form = RoleForm()
    if not form.validate_on_submit():
        return _render_members(organisation, InviteForm(formdata=None), 400, error=" ".join(map(str, form.role.errors)))
    try:
        services.change_role(membership, form.role.data)
        audit.record("member.role_changed", "user", membership.user_id, organisation_id=organisation.id,
                     role=form.role.data)
    except services.LastAdmin as error:
        raise Refused(_render_members, organisation, InviteForm(formdata=None), 409, error=str(error)) from error
    flash(_("De rol van %(name)s is gewijzigd.", name=membership.user.name), "success")
    return redirect(url_for("organisations.members", organisation_id=organisation.id))


@blueprint.post("/<int:organisation_id>/gebruikers/<int:membership_id>/verwijderen")
@requires(Permission.MANAGE_USERS)
def remove_member(organisation_id: int, membership_id: int) -> tuple[str, int] | Response:
    organisation = _organisation_or_404(organisation_id, Permission.MANAGE_USERS)
    membership = _membership_or_404(organisation, membership_id)
    user = membership.user
    try:
        audit.record("member.removed", "user", user.id, organisation_id=organisation.id)
        services.remove_member(membership)
    except services.LastAdmin as error:
        raise Refused(_render_members, organisation, InviteForm(formdata=None), 409, error=str(error)) from error
    flash(_("%(name)s is geen lid meer van %(organisation)s.", name=user.name, organisation=organisation.name),
          "success")
    if user.id == current_user.id and not current_user.is_regional_admin:
        return redirect(url_for("accounts.dashboard"))
    return redirect(url_for("organisations.members", organisation_id=organisation.id))

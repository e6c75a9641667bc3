"""Lists and tags: an organisation's named groups of contacts.

Both work the same way: a name unique per organisation, contacts as members (put on one contact
at a time, or on every contact a filter of the contacts page finds), and a campaign audience
condition. They differ in words and in who fills them (imports add to lists), so one `Grouping`
per kind says what differs and the functions here serve both.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from campaigns.models import (
    Campaign,
    CampaignStatus,
    Contact,
    ContactImport,
    ContactList,
    ContactTag,
    ImportStatus,
    list_memberships,
    tag_memberships,
)
from campaigns.services.contacts import ContactError, ContactFilters, filter_conditions
from core.sql import insert_ignoring_duplicates
from extensions import db

Group = ContactList | ContactTag
# A campaign still to be launched reads its audience at launch: the group must still exist then.
UNLAUNCHED = (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED)
FILLING_IMPORTS = (ImportStatus.UPLOADED, ImportStatus.QUEUED, ImportStatus.RUNNING)


@dataclass(frozen=True)
class Grouping:
    model: type[Group]
    memberships: sa.Table
    key: str  # the membership table's and Campaign's column naming the group
    name_length: int
    empty_name: Callable[[], str]
    too_long: Callable[[int], str]
    name_taken: Callable[[], str]
    in_use: Callable[[str], str]
    not_offered: Callable[[], str]
    filled_by_imports: bool = False

    @property
    def member_group(self) -> sa.Column:
        return self.memberships.c[self.key]


LISTS = Grouping(
    ContactList, list_memberships, "list_id", 200,
    empty_name=lambda: _("Geef de lijst een naam."),
    too_long=lambda most: _("Een lijst heeft hoogstens %(max)s tekens.", max=most),
    name_taken=lambda: _("Er is al een lijst met deze naam."),
    in_use=lambda users: _("Deze lijst bepaalt de ontvangers van %(campaigns)s; kies daar eerst andere ontvangers.",
                           campaigns=users),
    not_offered=lambda: _("Kies een van de lijsten."),
    filled_by_imports=True,
)
TAGS = Grouping(
    ContactTag, tag_memberships, "tag_id", 50,
    empty_name=lambda: _("Geef het label een naam."),
    too_long=lambda most: _("Een label heeft hoogstens %(max)s tekens.", max=most),
    name_taken=lambda: _("Er is al een label met deze naam."),
    in_use=lambda users: _("Dit label bepaalt de ontvangers van %(campaigns)s; kies daar eerst andere ontvangers.",
                           campaigns=users),
    not_offered=lambda: _("Kies een van de labels."),
)


def counted(grouping: Grouping, organisation_id: int) -> list[tuple[Group, int]]:
    """The organisation's groups with their number of contacts, by name."""
    model = grouping.model
    members = (sa.select(sa.func.count()).where(grouping.member_group == model.id)
               .correlate(model).scalar_subquery())
    rows = db.session.execute(
        sa.select(model, members).where(model.organisation_id == organisation_id).order_by(model.name)
    ).all()
    return [(group, count) for group, count in rows]


def member_count(grouping: Grouping, group: Group) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(grouping.memberships)
                             .where(grouping.member_group == group.id))


def _checked_name(grouping: Grouping, organisation_id: int, name: str, group_id: int | None = None) -> str:
    """`name` trimmed; refused when empty, too long, or (in any case) the name of another group."""
    name = name.strip()
    if not name:
        raise ContactError(grouping.empty_name())
    if len(name) > grouping.name_length:
        raise ContactError(grouping.too_long(grouping.name_length))
    model = grouping.model
    taken = db.session.scalar(sa.select(model.id).where(
        model.organisation_id == organisation_id, sa.func.lower(model.name) == name.lower(), model.id != (group_id or 0)))
    if taken:
        raise ContactError(grouping.name_taken())
    return name


def _store(grouping: Grouping, group: Group, name: str) -> None:
    """Names and flushes in a savepoint: a parallel request that took the name meanwhile gives the same refusal."""
    try:
        with db.session.begin_nested():
            group.name = name
            db.session.add(group)
    except IntegrityError as error:
        raise ContactError(grouping.name_taken()) from error


def create(grouping: Grouping, organisation_id: int, name: str) -> Group:
    group = grouping.model(organisation_id=organisation_id)
    _store(grouping, group, _checked_name(grouping, organisation_id, name))
    return group


def rename(grouping: Grouping, group: Group, name: str) -> None:
    _store(grouping, group, _checked_name(grouping, group.organisation_id, name, group.id))


def delete(grouping: Grouping, group: Group) -> None:
    """Takes the group off every contact; refused while a campaign not yet launched selects on it
    (its audience would silently become every subscriber) or an import still adds to it."""
    campaign_group = getattr(Campaign, grouping.key)
    users = list(db.session.scalars(sa.select(Campaign.name).where(
        campaign_group == group.id, Campaign.status.in_(UNLAUNCHED)).order_by(Campaign.name)))
    if grouping.filled_by_imports:
        users += db.session.scalars(sa.select(ContactImport.filename).where(
            ContactImport.list_id == group.id, ContactImport.status.in_(FILLING_IMPORTS)))
    if users:
        raise ContactError(grouping.in_use(", ".join(users)))
    # Said here, not left to ON DELETE: SQLite enforces no foreign keys unless asked to.
    db.session.execute(sa.delete(grouping.memberships).where(grouping.member_group == group.id))
    db.session.execute(sa.update(Campaign).where(campaign_group == group.id).values({grouping.key: None})
                       .execution_options(synchronize_session=False))
    db.session.delete(group)
    db.session.flush()


def of_organisation(grouping: Grouping, organisation_id: int, group_ids: list[int]) -> list[Group]:
    """The groups with these ids, all of this organisation; anything else is refused."""
    model = grouping.model
    groups = list(db.session.scalars(sa.select(model).where(
        model.organisation_id == organisation_id, model.id.in_(group_ids)))) if group_ids else []
    if len(groups) != len(set(group_ids)):
        raise ContactError(grouping.not_offered())
    return groups


def add_matching(grouping: Grouping, group: Group, filters: ContactFilters) -> int:
    """Puts every contact the filters find in `group`, in one INSERT ... SELECT; returns how many joined now."""
    statement = insert_ignoring_duplicates(grouping.memberships, grouping.key, "contact_id")
    result = db.session.execute(statement.from_select(
        [grouping.key, "contact_id"],
        sa.select(sa.literal(group.id, sa.Integer), Contact.id).where(*filter_conditions(group.organisation_id, filters)),
    ).execution_options(preserve_rowcount=True))  # an INSERT's count is kept only when asked for
    db.session.expire_all()
    return result.rowcount


def remove_matching(grouping: Grouping, group: Group, filters: ContactFilters) -> int:
    """Takes every contact the filters find out of `group`, in one DELETE; returns how many were in it."""
    matching = sa.select(Contact.id).where(*filter_conditions(group.organisation_id, filters))
    result = db.session.execute(sa.delete(grouping.memberships).where(
        grouping.member_group == group.id, grouping.memberships.c.contact_id.in_(matching)))
    db.session.expire_all()
    return result.rowcount

"""Tags: an organisation's own labels on contacts, put on one contact or on every contact a filter finds."""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from campaigns.models import Campaign, CampaignStatus, Contact, ContactTag, tag_memberships
from campaigns.services.contacts import ContactError, ContactFilters, filter_conditions
from extensions import db

NAME_LENGTH = 50
# A campaign still to be launched reads its audience at launch: the tag must still exist then.
UNLAUNCHED = (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED)


def tags_for(organisation_id: int) -> list[tuple[ContactTag, int]]:
    """The organisation's tags with their number of contacts, by name."""
    members = (sa.select(sa.func.count()).where(tag_memberships.c.tag_id == ContactTag.id)
               .correlate(ContactTag).scalar_subquery())
    rows = db.session.execute(
        sa.select(ContactTag, members).where(ContactTag.organisation_id == organisation_id).order_by(ContactTag.name)
    ).all()
    return [(tag, count) for tag, count in rows]


def _checked_name(organisation_id: int, name: str, tag_id: int | None = None) -> str:
    """`name` trimmed; refused when empty, too long, or (in any case) the name of another tag."""
    name = name.strip()
    if not name:
        raise ContactError(_("Geef het label een naam."))
    if len(name) > NAME_LENGTH:
        raise ContactError(_("Een label heeft hoogstens %(max)s tekens.", max=NAME_LENGTH))
    taken = db.session.scalar(sa.select(ContactTag.id).where(
        ContactTag.organisation_id == organisation_id, sa.func.lower(ContactTag.name) == name.lower(),
        ContactTag.id != (tag_id or 0)))
    if taken:
        raise ContactError(_("Er is al een label met deze naam."))
    return name


def _store(tag: ContactTag, name: str) -> None:
    """Names and flushes in a savepoint: a parallel request that took the name meanwhile gives the same refusal."""
    try:
        with db.session.begin_nested():
            tag.name = name
            db.session.add(tag)
    except IntegrityError as error:
        raise ContactError(_("Er is al een label met deze naam.")) from error


def create_tag(organisation_id: int, name: str) -> ContactTag:
    tag = ContactTag(organisation_id=organisation_id)
    _store(tag, _checked_name(organisation_id, name))
    return tag


def rename_tag(tag: ContactTag, name: str) -> None:
    _store(tag, _checked_name(tag.organisation_id, name, tag.id))


def delete_tag(tag: ContactTag) -> None:
    """Removes the tag from every contact; refused while a campaign not yet launched selects on it
    (its audience would silently become every subscriber)."""
    users = list(db.session.scalars(sa.select(Campaign.name).where(
        Campaign.tag_id == tag.id, Campaign.status.in_(UNLAUNCHED)).order_by(Campaign.name)))
    if users:
        raise ContactError(_("Dit label bepaalt de ontvangers van %(campaigns)s; kies daar eerst andere ontvangers.",
                             campaigns=", ".join(users)))
    # Said here, not left to ON DELETE: SQLite enforces no foreign keys unless asked to.
    db.session.execute(sa.delete(tag_memberships).where(tag_memberships.c.tag_id == tag.id))
    db.session.execute(sa.update(Campaign).where(Campaign.tag_id == tag.id).values(tag_id=None)
                       .execution_options(synchronize_session=False))
    db.session.delete(tag)
    db.session.flush()


def organisation_tags(organisation_id: int, tag_ids: list[int]) -> list[ContactTag]:
    """The tags with these ids, all of this organisation; anything else is refused."""
    tags = list(db.session.scalars(sa.select(ContactTag).where(
        ContactTag.organisation_id == organisation_id, ContactTag.id.in_(tag_ids)))) if tag_ids else []
    if len(tags) != len(set(tag_ids)):
        raise ContactError(_("Kies een van de labels."))
    return tags


def tag_matching(tag: ContactTag, filters: ContactFilters) -> int:
    """Puts `tag` on every contact the filters find, in one INSERT ... SELECT; returns how many got it now."""
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(tag_memberships).on_conflict_do_nothing(index_elements=["tag_id", "contact_id"])
    result = db.session.execute(statement.from_select(
        ["tag_id", "contact_id"],
        sa.select(sa.literal(tag.id, sa.Integer), Contact.id).where(*filter_conditions(tag.organisation_id, filters)),
    ).execution_options(preserve_rowcount=True))  # an INSERT's count is kept only when asked for
    db.session.expire_all()
    return result.rowcount


def untag_matching(tag: ContactTag, filters: ContactFilters) -> int:
    """Takes `tag` off every contact the filters find, in one DELETE; returns how many had it."""
    matching = sa.select(Contact.id).where(*filter_conditions(tag.organisation_id, filters))
    result = db.session.execute(sa.delete(tag_memberships).where(
        tag_memberships.c.tag_id == tag.id, tag_memberships.c.contact_id.in_(matching)))
    db.session.expire_all()
    return result.rowcount

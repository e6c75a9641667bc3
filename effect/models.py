"""Per-event settings of the evaluation, and one anonymous-by-design response per attendee.

A response holds the knowledge check before, the evaluation (with the knowledge check after and the
optional experience questions) and the follow-up survey of one registration, so before and after
stay paired after the retention purge cuts `registration_id` (effect/privacy.py): from then on the
row is an anonymous record that only the aggregates read.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.timeutils import UTCDateTime, utcnow
from events.models import Event
from extensions import db

DEFAULT_FOLLOWUP_DAYS = 91  # about three months
MIN_FOLLOWUP_DAYS = 14
MAX_FOLLOWUP_DAYS = 365


class EffectSettings(db.Model):
    """An event without a row uses the defaults: evaluation on, the measures for its audience, no
    knowledge check, the experience questions on, the follow-up after three months."""

    __tablename__ = "effect_settings"

    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    evaluation_enabled: Mapped[bool] = mapped_column(default=True)
    # Keys of effect.catalogue.MEASURES offered in "what will you do now"; None: the audience's default.
    measures: Mapped[list[str] | None] = mapped_column(sa.JSON(none_as_null=True))
    # Keys of effect.catalogue.KNOWLEDGE; empty: no knowledge check.
    knowledge_questions: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    ask_experience: Mapped[bool] = mapped_column(default=True)
    followup_days: Mapped[int] = mapped_column(default=DEFAULT_FOLLOWUP_DAYS)
    # The organiser's own wording of the open question; None: the standard one.
    open_question: Mapped[str | None] = mapped_column(sa.String(300))
    # Off by default: then the evaluation asks no name and its answers are not personal data once cut
    # from the registration. On: the form and the privacy statement say so, and the name is personal
    # data (exported, erased, blanked at the retention purge).
    ask_names: Mapped[bool] = mapped_column(default=False)

    event: Mapped[Event] = relationship()

    __table_args__ = (
        sa.CheckConstraint(f"followup_days BETWEEN {MIN_FOLLOWUP_DAYS} AND {MAX_FOLLOWUP_DAYS}",
                           name="followup_days_in_range"),
    )


class EffectResponse(db.Model):
    __tablename__ = "effect_responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"), index=True)
    # Only to send the follow-up and pair before with after; cut at the retention purge and erasure.
    registration_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("registrations.id", ondelete="SET NULL"), unique=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # {question key: chosen option index}
    knowledge_before: Mapped[dict[str, int] | None] = mapped_column(sa.JSON(none_as_null=True))
    knowledge_before_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    evaluated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    satisfaction: Mapped[int | None] = mapped_column(sa.SmallInteger)
    usefulness: Mapped[int | None] = mapped_column(sa.SmallInteger)
    intentions: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    comment: Mapped[str | None] = mapped_column(sa.Text)
    respondent_name: Mapped[str | None] = mapped_column(sa.String(200))  # only where the organiser asks names
    knowledge_after: Mapped[dict[str, int] | None] = mapped_column(sa.JSON(none_as_null=True))
    # The experience questions are answered only with their own consent box ticked.
    experience_consent: Mapped[bool] = mapped_column(default=False)
    experienced: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    reported: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    # Set under the row lock in the transaction that queues the follow-up mail: it goes once.
    followup_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    followed_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    actions: Mapped[list[str]] = mapped_column(sa.JSON, default=list)

    event: Mapped[Event] = relationship()

    __table_args__ = (
        sa.CheckConstraint("satisfaction BETWEEN 1 AND 5", name="satisfaction_in_range"),
        sa.CheckConstraint("usefulness BETWEEN 1 AND 5", name="usefulness_in_range"),
        sa.CheckConstraint("(evaluated_at IS NULL) = (satisfaction IS NULL)", name="evaluated_iff_satisfaction"),
    )

    def answers(self) -> dict[str, Any]:
        """What the person answered, for the privacy export."""
        return {
            "knowledge_before": self.knowledge_before,
            "evaluated_at": self.evaluated_at.isoformat() if self.evaluated_at else None,
            "satisfaction": self.satisfaction,
            "usefulness": self.usefulness,
            "intentions": self.intentions,
            "comment": self.comment,
            "respondent_name": self.respondent_name,
            "knowledge_after": self.knowledge_after,
            "experience_consent": self.experience_consent,
            "experienced": self.experienced,
            "reported": self.reported,
            "followed_up_at": self.followed_up_at.isoformat() if self.followed_up_at else None,
            "actions": self.actions,
        }

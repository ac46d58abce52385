"""What users did with songs: an append-only event log and the current state it adds up to."""

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..vectors.schema import ACTIVITY_KINDS as ACTIVITY_KINDS
from .types import DbId
from .user import utcnow

# The event kinds live in app/vectors/schema.py beside interaction_weight, which weighs the state
# each kind changes.
_KIND_LIST = ", ".join(f"'{kind}'" for kind in ACTIVITY_KINDS)


class ActivityEvent(db.Model):
    """One thing a user did, never updated or deleted."""

    __tablename__ = "activity_events"
    __table_args__ = (
        sa.CheckConstraint(f"kind IN ({_KIND_LIST})", name="kind_known"),
        sa.CheckConstraint(
            "(kind = 'rate' AND value BETWEEN 1 AND 5) OR (kind <> 'rate' AND value IS NULL)",
            name="rating_value",
        ),
        sa.Index("ix_activity_events_user_created", "user_id", "created_at"),
        sa.Index("ix_activity_events_song_kind", "song_id", "kind"),
    )

    id: Mapped[int] = mapped_column(DbId, primary_key=True)
    user_id: Mapped[int] = mapped_column(DbId, sa.ForeignKey("users.id", ondelete="CASCADE"))
    song_id: Mapped[int] = mapped_column(DbId, sa.ForeignKey("songs.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(16))
    value: Mapped[int | None] = mapped_column(sa.SmallInteger)
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)


class UserSong(db.Model):
    """A user's current relation to a song, kept in step with the event log."""

    __tablename__ = "user_songs"
    __table_args__ = (
        sa.CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 5", name="rating_range"),
        sa.Index("ix_user_songs_song", "song_id"),
        sa.Index("ix_user_songs_user_updated", "user_id", "updated_at"),
    )

    user_id: Mapped[int] = mapped_column(
        DbId, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    song_id: Mapped[int] = mapped_column(
        DbId, sa.ForeignKey("songs.id", ondelete="CASCADE"), primary_key=True
    )
    play_count: Mapped[int] = mapped_column(default=0, server_default="0")
    liked: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    rating: Mapped[int | None] = mapped_column(sa.SmallInteger)
    bookmarked: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    disliked: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    last_played_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    @classmethod
    def empty(cls, user_id, song_id):
        """A state with nothing done yet (explicit values, since defaults only apply on insert)."""
        return cls(
            user_id=user_id,
            song_id=song_id,
            play_count=0,
            liked=False,
            rating=None,
            bookmarked=False,
            disliked=False,
            last_played_at=None,
        )

    def apply(self, kind, value=None, at=None):
        """Update this state for one event; like and dislike exclude each other."""
        at = at or utcnow()
        if kind == "play":
            self.play_count += 1
            self.last_played_at = at
        elif kind == "like":
            self.liked, self.disliked = True, False
        elif kind == "unlike":
            self.liked = False
        elif kind == "dislike":
            self.disliked, self.liked = True, False
        elif kind == "undislike":
            self.disliked = False
        elif kind == "bookmark":
            self.bookmarked = True
        elif kind == "unbookmark":
            self.bookmarked = False
        elif kind == "rate":
            self.rating = value
        elif kind == "unrate":  # undoes a first rating
            self.rating = None
        else:
            raise ValueError(f"unknown activity {kind!r}")
        self.updated_at = at


# The state columns that interaction_weight (app/vectors/schema.py) reads, in its parameter order.
# Every query that weighs a user's songs selects these, so a signal added to the weight is added to
# the queries in one place.
INTERACTION_COLUMNS = (
    UserSong.play_count,
    UserSong.liked,
    UserSong.rating,
    UserSong.bookmarked,
    UserSong.disliked,
)

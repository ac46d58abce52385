"""What the vector index should hold, kept in SQL so the index can always be rebuilt from here."""

import datetime as dt

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import DbId
from .user import utcnow


def to_blob(vector):
    """A vector as little-endian float32 bytes."""
    return np.asarray(vector, dtype="<f4").tobytes()


def from_blob(blob):
    """The float32 vector stored by to_blob."""
    return np.frombuffer(blob, dtype="<f4")


class SongVector(db.Model):
    """A song's embedding, the hash of the text it came from, and whether the index has it."""

    __tablename__ = "song_vectors"

    song_id: Mapped[int] = mapped_column(
        DbId, sa.ForeignKey("songs.id", ondelete="CASCADE"), primary_key=True
    )
    text_hash: Mapped[str] = mapped_column(sa.String(40))
    model: Mapped[str] = mapped_column(sa.String(100))
    vector: Mapped[bytes] = mapped_column(sa.LargeBinary)
    # False when the vector store missed the last write (it was down): `flask vectors sync` repairs.
    indexed: Mapped[bool] = mapped_column(default=False, server_default=sa.false(), index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)


class UserVector(db.Model):
    """A user's preference embedding (cached by text hash) and the taste vector derived from it."""

    __tablename__ = "user_vectors"

    user_id: Mapped[int] = mapped_column(
        DbId, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    preference_hash: Mapped[str] = mapped_column(sa.String(40))
    preference_vector: Mapped[bytes] = mapped_column(sa.LargeBinary)
    taste_vector: Mapped[bytes] = mapped_column(sa.LargeBinary)
    positives: Mapped[int] = mapped_column(default=0, server_default="0")
    indexed: Mapped[bool] = mapped_column(default=False, server_default=sa.false(), index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

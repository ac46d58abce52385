"""Songs of the catalog, normalised from either Spotify schema."""

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..database import ONLY_ON
from ..extensions import db
from ..spotify_csv.parsing import PITCHES
from .types import DbId
from .user import utcnow

SEARCHED_COLUMNS = ("title", "artist", "album")


class Song(db.Model):
    __tablename__ = "songs"

    id: Mapped[int] = mapped_column(DbId, primary_key=True)
    # The identity imports upsert by: "track:<source id>" or "song:<digest of artist+title+album>".
    natural_key: Mapped[str] = mapped_column(sa.String(80), unique=True)
    row_hash: Mapped[str] = mapped_column(sa.String(40))
    source_track_id: Mapped[str | None] = mapped_column(sa.String(64), index=True)

    title: Mapped[str] = mapped_column(sa.String(500), index=True)
    artist: Mapped[str] = mapped_column(sa.String(500), index=True)
    artists: Mapped[list] = mapped_column(sa.JSON, default=list)
    album: Mapped[str | None] = mapped_column(sa.String(500))
    lyrics: Mapped[str | None] = mapped_column(sa.Text)
    genre: Mapped[str | None] = mapped_column(sa.String(100))  # indexed with popularity, below
    genres: Mapped[list] = mapped_column(sa.JSON, default=list)
    emotion: Mapped[str | None] = mapped_column(sa.String(20))  # indexed with popularity, below
    release_date: Mapped[dt.date | None]
    release_year: Mapped[int | None] = mapped_column(index=True)

    key: Mapped[int | None] = mapped_column(sa.SmallInteger)  # pitch class 0 (C) .. 11 (B)
    mode: Mapped[int | None] = mapped_column(sa.SmallInteger)  # 1 major, 0 minor
    tempo: Mapped[float | None]
    loudness: Mapped[float | None]  # dB
    time_signature: Mapped[int | None] = mapped_column(sa.SmallInteger)
    explicit: Mapped[bool | None]
    popularity: Mapped[int | None] = mapped_column(sa.SmallInteger)  # indexed in browse's order, below
    duration_s: Mapped[int | None]

    # Audio features, all on the 0-1 scale whatever the source file used.
    energy: Mapped[float | None]
    danceability: Mapped[float | None]
    valence: Mapped[float | None]
    speechiness: Mapped[float | None]
    liveness: Mapped[float | None]
    acousticness: Mapped[float | None]
    instrumentalness: Mapped[float | None]

    # Activity flags; None where the source schema has none (the tracks schema).
    good_for_party: Mapped[bool | None]
    good_for_work_study: Mapped[bool | None]
    good_for_relaxation: Mapped[bool | None]
    good_for_exercise: Mapped[bool | None]
    good_for_running: Mapped[bool | None]
    good_for_yoga: Mapped[bool | None]
    good_for_driving: Mapped[bool | None]
    good_for_social: Mapped[bool | None]
    good_for_morning: Mapped[bool | None]

    similar_songs: Mapped[list] = mapped_column(sa.JSON, default=list)  # [{artist, title, score}]
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(
        sa.DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    # Search is ILIKE '%text%' on these three columns (services/catalog/browse.song_query). On PostgreSQL a
    # trigram GIN index per column answers it without reading the table; the migration creates them
    # with the pg_trgm extension. SQLite's equivalent, an FTS5 trigram table kept by triggers, has no
    # SQLAlchemy construct: its migration alone declares it (database.SQLITE_SEARCH_INDEX).
    __table_args__ = tuple(
        sa.Index(
            f"ix_songs_{column}_trgm",
            column,
            postgresql_using="gin",
            postgresql_ops={column: "gin_trgm_ops"},
            info={ONLY_ON: "postgresql"},
        ).ddl_if(dialect="postgresql")
        for column in SEARCHED_COLUMNS
    )

    @property
    def key_name(self):
        """The key as people write it, e.g. "D minor"."""
        if self.key is None:
            return None
        mode = {1: " major", 0: " minor"}.get(self.mode, "")
        return PITCHES[self.key] + mode

    @property
    def length(self):
        """The length as "M:SS"."""
        if self.duration_s is None:
            return None
        return f"{self.duration_s // 60}:{self.duration_s % 60:02d}"

    def __repr__(self):
        return f"<Song {self.id} {self.artist} - {self.title}>"


def _order_indexes() -> None:
    """Browse's default order is popularity, then id (browse.SORTS), alone or within a genre or a mood.
    An index in that whole order reads a page's 24 rows; one on popularity alone sorted every song
    of each popularity value reached, and one on the filter's column alone read every matching row,
    whole, to sort them. At 100,000 songs on SQLite: page 1 3.1 -> 0.26 ms, page 50 17.5 -> 0.29,
    page 1,000 509 -> 2.0; a mood's first page 71 -> 0.25 ms, a genre's 32 -> 0.14. They serve
    genre = ? and emotion = ? alone as well. SQLite takes no NULLS LAST in an index and needs none:
    its DESC puts NULL last already. Migration b81d4e2c7a16."""
    for dialect, popularity in (
        ("postgresql", Song.popularity.desc().nulls_last()),
        ("sqlite", Song.popularity.desc()),
    ):
        only = {"info": {ONLY_ON: dialect}}
        sa.Index("ix_songs_popularity", popularity, Song.id, **only).ddl_if(dialect=dialect)
        for column in (Song.genre, Song.emotion):
            name = f"ix_songs_{column.key}_popularity"
            sa.Index(name, column, popularity, Song.id, **only).ddl_if(dialect=dialect)


_order_indexes()

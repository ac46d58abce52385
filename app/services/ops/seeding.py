"""Seeding the database with demo users and the activity that follows their preferences."""

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from ...extensions import db
from ...models import ActivityEvent, Song, User, UserSong, utcnow
from ...spotify_csv import synthetic
from ...spotify_csv.vocab import FLAG_COLUMNS
from ..catalog.browse import genre_counts

DEMO_PASSWORD_SUFFIX = "@000"
SEED_GENRES = 24  # users' genre tags come from the most common genres, so they match real songs


def demo_password(username: str) -> str:
    """The documented password of a seeded user: user7 -> user7@000."""
    return username + DEMO_PASSWORD_SUFFIX


@dataclass
class SeedResult:
    created: int = 0
    kept: int = 0
    events: int = 0


def seed_users(
    count: int, seed: int = 0, prefix: str = "user", on_step: Callable[[int], object] | None = None
) -> SeedResult:
    """Create users prefix0..prefix{count-1} that don't exist yet; existing ones are kept."""
    names = [f"{prefix}{i}" for i in range(count)]
    existing = set(db.session.scalars(sa.select(User.username).where(User.username.in_(names))))
    genres = [genre for genre, _ in genre_counts(limit=SEED_GENRES)]
    result = SeedResult(kept=len(existing))
    for name in names:
        if name not in existing:
            profile = synthetic.synthetic_profile(synthetic.user_rng(seed, name), genres)
            user = User(username=name, **profile)
            # No password policy here (app/auth/passwords.py): demo passwords are published in the
            # README so anyone can log in to the demo, and no person chose them.
            user.set_password(demo_password(name))
            db.session.add(user)
            result.created += 1
        if on_step:
            on_step(1)
    db.session.commit()
    return result


def load_song_traits() -> list[synthetic.SongTraits]:
    """The traits of every song, in id order (the order matters for determinism)."""
    columns = [Song.id, Song.emotion, Song.genres] + [getattr(Song, c) for c in FLAG_COLUMNS]
    rows = db.session.execute(sa.select(*columns).order_by(Song.id))
    return [synthetic.song_traits(row[0], row[1], row[2], row[3:]) for row in rows]


def seed_activities(
    per_user: int,
    seed: int = 0,
    now: dt.datetime | None = None,
    on_step: Callable[[int], object] | None = None,
) -> SeedResult:
    """Generate activity for every user who has none yet; users with activity are kept as they are."""
    now = now or utcnow()
    songs = load_song_traits()
    if not songs:
        raise ValueError("the catalog is empty: import songs first (flask seed songs)")
    active = set(db.session.scalars(sa.select(ActivityEvent.user_id).distinct()))
    users = db.session.execute(
        sa.select(User.id, User.username, User.emotions, User.tags).order_by(User.id)
    ).all()
    result = SeedResult()
    for user_id, username, emotions, tags in users:
        if user_id in active:
            result.kept += 1
        else:
            prefs = synthetic.Preferences(tuple(emotions or ()), tuple(tags or ()))
            rng = synthetic.user_rng(seed, username)
            events = synthetic.plan_activity(rng, prefs, songs, per_user, now)
            _store_events(user_id, events)
            result.created += 1
            result.events += len(events)
        if on_step:
            on_step(1)
    return result


def _store_events(user_id: int, events: Sequence[tuple[int, str, Any, dt.datetime]]) -> None:
    states: dict[int, UserSong] = {}
    for song_id, kind, value, at in events:
        state = states.setdefault(song_id, UserSong.empty(user_id, song_id))
        state.apply(kind, value, at)
    event_rows = [
        {"user_id": user_id, "song_id": s, "kind": k, "value": v, "created_at": at} for s, k, v, at in events
    ]
    state_rows = [
        {c.key: getattr(state, c.key) for c in UserSong.__table__.columns} for state in states.values()
    ]
    # One transaction per user: a crash leaves each user with all of their activity or none.
    with db.engine.begin() as conn:
        if event_rows:
            conn.execute(ActivityEvent.__table__.insert(), event_rows)
        if state_rows:
            conn.execute(UserSong.__table__.insert(), state_rows)
        # As record_activity does: lists and neighbours' songs cached under the old version go stale.
        conn.execute(
            sa.update(User.__table__)
            .where(User.__table__.c.id == user_id)
            .values(rec_version=User.__table__.c.rec_version + 1)
        )

"""Recording activity: event log and state move together, bad values change nothing."""

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import ActivityEvent, Song, UserSong
from app.services.activity.events import event_count, record_activity


@pytest.fixture
def song_id(app, demo_songs):
    with app.app_context():
        return db.session.scalar(sa.select(Song.id).order_by(Song.id))


def test_events_update_the_state(app, user, song_id):
    with app.app_context():
        record_activity(user, song_id, "play")
        record_activity(user, song_id, "play")
        record_activity(user, song_id, "like")
        record_activity(user, song_id, "rate", 5)
        record_activity(user, song_id, "bookmark")
        state = db.session.get(UserSong, (user, song_id))
        assert (state.play_count, state.liked, state.rating, state.bookmarked) == (2, True, 5, True)
        assert state.last_played_at is not None
        record_activity(user, song_id, "dislike")
        record_activity(user, song_id, "unbookmark")
        state = db.session.get(UserSong, (user, song_id))
        assert (state.liked, state.disliked, state.bookmarked) == (False, True, False)
        assert event_count(user) == 7
        kinds = db.session.scalars(sa.select(ActivityEvent.kind).order_by(ActivityEvent.id)).all()
        assert kinds == ["play", "play", "like", "rate", "bookmark", "dislike", "unbookmark"]


@pytest.mark.parametrize(
    "kind, value", [("rate", 6), ("rate", 0), ("rate", None), ("rate", "5"), ("like", 3), ("hug", None)]
)
def test_bad_activity_is_refused_and_writes_nothing(app, user, song_id, kind, value):
    with app.app_context():
        with pytest.raises(ValueError):
            record_activity(user, song_id, kind, value)
        assert event_count() == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(UserSong)) == 0


def test_database_refuses_ratings_out_of_range(app, user, song_id):
    with app.app_context():
        with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as conn:
            conn.execute(
                ActivityEvent.__table__.insert(),
                {"user_id": user, "song_id": song_id, "kind": "rate", "value": 9},
            )
        assert event_count() == 0


def test_a_failed_write_leaves_neither_event_nor_state(app, user):
    with app.app_context():
        with pytest.raises(sa.exc.IntegrityError):
            record_activity(user, 987654, "like")  # no such song: the foreign key refuses
        assert event_count() == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(UserSong)) == 0

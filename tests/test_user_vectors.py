"""Taste vectors in the app: from preferences, moved by activity, refreshed at once, kept when the store fails."""

import numpy as np
import pytest
import sqlalchemy as sa

from app.extensions import db, vector_store
from app.models import Song, SongVector, UserVector, from_blob
from app.services.accounts import users
from app.services.activity.events import record_activity
from app.services.indexing.song_vectors import embed_songs
from app.services.indexing.user_vectors import refresh_all_user_vectors, stored_taste_vector
from app.vectors import VectorStoreError
from app.vectors.schema import USERS


@pytest.fixture
def embedded(app, demo_songs):
    with app.app_context():
        embed_songs()


def genre_centroid(genre):
    blobs = db.session.scalars(
        sa.select(SongVector.vector).join(Song, Song.id == SongVector.song_id).where(Song.genre == genre)
    ).all()
    centroid = np.mean([from_blob(b) for b in blobs], axis=0)
    return centroid / np.linalg.norm(centroid)


def test_stated_preferences_alone_give_a_taste_vector(app, user, embedded):
    with app.app_context():
        assert stored_taste_vector(user) is None
        alice = db.session.get(users.User, user)
        users.update_profile(alice, 30, "Loud guitars.", ["anger"], ["metal", "exercise"])
        taste = stored_taste_vector(user)
        assert taste is not None and np.isclose(np.linalg.norm(taste), 1.0, atol=1e-5)
        point = vector_store().retrieve(USERS, [user])[user]
        assert np.allclose(point, taste, atol=1e-5)
        hits = vector_store().search(USERS, taste.tolist(), k=1, must={"tags": "metal"})
        assert [h.id for h in hits] == [user] and hits[0].payload["emotions"] == ["anger"]


def test_taste_moves_toward_a_genre_after_liking_its_songs(app, user, embedded):
    with app.app_context():
        alice = db.session.get(users.User, user)
        users.update_profile(alice, None, None, ["joy"], ["study"])
        genre = db.session.scalar(
            sa.select(Song.genre).group_by(Song.genre).order_by(sa.func.count().desc()).offset(2)
        )
        target = genre_centroid(genre)
        before = float(stored_taste_vector(user) @ target)
        liked = db.session.scalars(sa.select(Song.id).where(Song.genre == genre).limit(6)).all()
        for song_id in liked:
            record_activity(user, song_id, "like")
        after = float(stored_taste_vector(user) @ target)
        assert after > before + 0.1
        # The index already has it: the next request would see the new vector.
        assert float(np.asarray(vector_store().retrieve(USERS, [user])[user]) @ target) == pytest.approx(
            after, abs=1e-4
        )
        row = db.session.get(UserVector, user)
        assert row.positives == 6 and row.indexed


def test_a_users_liked_songs_are_a_sparse_vector_for_collaborative_search(app, user, embedded):
    with app.app_context():
        songs = db.session.scalars(sa.select(Song.id).order_by(Song.id).limit(3)).all()
        for song_id in songs:
            record_activity(user, song_id, "like")
        hits = vector_store().search_sparse(USERS, {songs[0]: 1.0, songs[1]: 1.0}, k=5)
        assert hits[0].id == user and hits[0].score > 0


def test_activity_commits_when_the_store_is_down_and_sync_catches_up(app, user, embedded, monkeypatch):
    from app.services.indexing.sync import sync_index

    with app.app_context():
        song_id = db.session.scalar(sa.select(Song.id).order_by(Song.id))
        store = vector_store()

        def down(*args, **kwargs):
            raise VectorStoreError("store unreachable")

        monkeypatch.setattr(store, "upsert", down)
        record_activity(user, song_id, "like")  # does not raise
        row = db.session.get(UserVector, user)
        assert row is not None and row.indexed is False
        assert user not in store.ids(USERS)
        monkeypatch.undo()
        report = sync_index()
        assert report["users"]["refreshed"] >= 1
        db.session.expire_all()
        assert db.session.get(UserVector, user).indexed is True
        assert user in vector_store().ids(USERS)


def test_seed_user_embeddings_covers_everyone(app, runner, demo_songs):
    runner.invoke(args=["seed", "users", "--count", "5"])
    runner.invoke(args=["seed", "activities", "--per-user", "10"])
    runner.invoke(args=["seed", "embeddings"])
    result = runner.invoke(args=["seed", "user-embeddings"])
    assert result.exit_code == 0, result.output
    assert "5 users have a taste vector" in result.output
    with app.app_context():
        assert vector_store().count(USERS) == 5
        assert refresh_all_user_vectors() == 5

"""Vector rows written by two transactions at once: the second writer overwrites, never fails.

Each test lets another connection commit the row between this transaction's read and its write,
which is where a read-then-insert (or a delete-then-insert) raised a unique violation.
"""

import threading
import time

import numpy as np
import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Song, SongVector, User, UserVector, from_blob, to_blob, utcnow
from app.services.accounts import users
from app.services.indexing import user_vectors
from app.services.indexing.song_vectors import embed_song_rows, embed_songs
from app.services.indexing.user_vectors import refresh_user_vectors


@pytest.fixture
def embedded(app, demo_songs):
    with app.app_context():
        embed_songs()


def commit_elsewhere(statement):
    """Run one statement on a connection of its own and commit it, as a concurrent request would."""
    with db.engine.begin() as other:
        other.execute(statement)


def test_a_taste_vector_written_meanwhile_is_overwritten(app, user, embedded, monkeypatch):
    with app.app_context():
        alice = db.session.get(User, user)
        alice.emotions, alice.tags = ["joy"], ["study"]
        db.session.commit()
        assert db.session.get(UserVector, user) is None
        write_points = user_vectors._write_points

        def race(points, gone):  # the other refresh commits its row after this one has read
            commit_elsewhere(
                sa.insert(UserVector).values(
                    user_id=user,
                    preference_hash="other",
                    preference_vector=b"",
                    taste_vector=to_blob(np.ones(4, dtype=np.float32)),
                    positives=7,
                    indexed=False,
                    updated_at=utcnow(),
                )
            )
            return write_points(points, gone)

        monkeypatch.setattr(user_vectors, "_write_points", race)
        assert refresh_user_vectors([user]) == 1
        db.session.expire_all()
        row = db.session.get(UserVector, user)
        assert row.preference_hash != "other" and row.positives == 0 and row.indexed
        assert from_blob(row.taste_vector).shape == (384,)


def test_a_taste_vector_deleted_meanwhile_is_written_again(app, user, embedded, monkeypatch):
    with app.app_context():
        alice = db.session.get(User, user)
        users.update_profile(alice, None, None, ["joy"], ["study"])
        assert db.session.get(UserVector, user) is not None
        write_points = user_vectors._write_points

        def race(points, gone):
            commit_elsewhere(sa.delete(UserVector).where(UserVector.user_id == user))
            return write_points(points, gone)

        monkeypatch.setattr(user_vectors, "_write_points", race)
        assert refresh_user_vectors([user]) == 1
        db.session.expire_all()
        assert db.session.get(UserVector, user) is not None


@pytest.mark.postgresql_only("SQLite has one writer: a second run waits for the first's commit")
def test_a_song_embedded_by_two_runs_at_once_keeps_one_row(app, embedded):
    # Another run has replaced the song's row and not yet committed when this one writes it: a
    # delete-then-insert deleted nothing it could see and then hit the other's key on commit.
    with app.app_context():
        song_id = db.session.scalar(sa.select(Song.id).order_by(Song.id))
        other = db.engine.connect()
        other_tx = other.begin()
        other.execute(sa.delete(SongVector).where(SongVector.song_id == song_id))
        other.execute(
            sa.insert(SongVector).values(
                song_id=song_id,
                text_hash="other run",
                model="other",
                vector=to_blob(np.ones(384, dtype=np.float32)),
                indexed=True,
                updated_at=utcnow(),
            )
        )
        failures = []

        def embed_again():
            with app.app_context():
                try:
                    embed_song_rows([db.session.get(Song, song_id)])
                except Exception as exc:  # what the old delete-then-insert raised
                    failures.append(exc)

        worker = threading.Thread(target=embed_again)
        worker.start()
        waiting = sa.text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
        deadline = time.monotonic() + 20
        # Autocommit: PostgreSQL keeps a transaction's first view of pg_stat_activity until it ends,
        # so a probe in one transaction that looked before the writer blocked never saw it block.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as probe:
            while not probe.execute(waiting).scalar() and time.monotonic() < deadline:
                time.sleep(0.05)
            assert probe.execute(waiting).scalar(), f"the second run never waited for the first ({failures})"
        other_tx.commit()
        other.close()
        worker.join(30)
        assert not worker.is_alive() and failures == []
        db.session.expire_all()
        rows = db.session.scalars(sa.select(SongVector).where(SongVector.song_id == song_id)).all()
        assert len(rows) == 1 and rows[0].text_hash != "other run"

"""`flask vectors status` and `flask vectors sync` against a deliberately damaged index."""

import json

import sqlalchemy as sa

from app.extensions import db, embedder, vector_store
from app.models import Song
from app.services.indexing.song_vectors import embed_songs
from app.services.indexing.sync import index_status, sync_index
from app.vectors import Point
from app.vectors.schema import SONGS


def test_sync_repairs_missing_and_orphan_points_without_the_model(app, demo_songs):
    model = embedder(app)
    with app.app_context():
        embed_songs()
        store = vector_store()
        ids = sorted(store.ids(SONGS))
        store.delete(SONGS, ids[:7])
        store.upsert(SONGS, [Point(10**9, [1.0] + [0.0] * 383, {"song_id": 10**9})])
        status = index_status()
        assert status["songs"]["points"] == demo_songs.inserted - 7 + 1
        assert status["songs"]["sql"] == demo_songs.inserted
        encoded_before = len(model.encoded)
        report = sync_index()
        assert report["songs"]["orphans_removed"] == 1 and report["songs"]["missing"] == 7
        assert report["songs"]["reindexed"] == 7 and report["songs"]["embedded"] == 0
        assert len(model.encoded) == encoded_before
        assert store.ids(SONGS) == set(ids)
        assert index_status()["songs"]["stale"] == 0


def test_sync_reembeds_songs_whose_text_changed(app, demo_songs):
    with app.app_context():
        embed_songs()
        song = db.session.scalars(sa.select(Song).order_by(Song.id)).first()
        song.album = "A Brand New Album Name"
        db.session.commit()
        assert index_status()["songs"]["stale"] == 1
        report = sync_index()
        assert report["songs"]["embedded"] == 1
        assert index_status()["songs"]["stale"] == 0


def test_status_and_sync_commands(runner, demo_songs):
    runner.invoke(args=["seed", "embeddings"])
    table = runner.invoke(args=["vectors", "status"])
    assert table.exit_code == 0, table.output
    assert "model hashing-test-double · dimension 384" in table.output
    report = json.loads(runner.invoke(args=["vectors", "status", "--json"]).output)
    assert report["songs"]["points"] == report["songs"]["sql"] == demo_songs.inserted
    synced = runner.invoke(args=["vectors", "sync"])
    assert synced.exit_code == 0, synced.output
    assert "0 orphans removed · 0 missing · 0 embedded" in synced.output


def test_a_bulk_embed_optimizes_as_it_goes_so_the_last_call_has_little_left(app, demo_songs, monkeypatch):
    from app.services.indexing import song_vectors

    with app.app_context():
        store = vector_store()
        calls = []
        monkeypatch.setattr(song_vectors, "PAGE", 50)
        monkeypatch.setattr(store, "optimize_every", 100)
        monkeypatch.setattr(store, "optimize", lambda name: calls.append((name, store.count(name))))
        embed_songs()
        # after each page that brought another 100 written songs (pages of 50), then the final call
        every_100 = [(SONGS, n) for n in range(100, demo_songs.inserted + 1, 100)]
        assert len(every_100) >= 2 and calls == [*every_100, (SONGS, demo_songs.inserted)]
        calls.clear()
        embed_songs()  # nothing to write: only the final call
        assert calls == [(SONGS, demo_songs.inserted)]

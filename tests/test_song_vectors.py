"""Embedding the catalog: cached by text hash, resumable, filterable payloads, Edge locking."""

import os
import subprocess
import sys

import pytest
import sqlalchemy as sa

from app.extensions import db, embedder, vector_store
from app.models import Song, SongVector
from app.services.indexing.song_vectors import embed_songs
from app.vectors.schema import SONGS


def test_every_song_gets_a_point_and_a_cached_vector(app, demo_songs):
    with app.app_context():
        result = embed_songs(batch_size=50)
        assert (result.embedded, result.unchanged) == (demo_songs.inserted, 0)
        assert vector_store().count(SONGS) == demo_songs.inserted
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SongVector)) == demo_songs.inserted
        song = db.session.scalars(sa.select(Song).order_by(Song.id)).first()
        (point_vector,) = vector_store().retrieve(SONGS, [song.id]).values()
        assert len(point_vector) == 384


def test_rerun_embeds_only_changed_songs(app, demo_songs):
    model = embedder(app)
    with app.app_context():
        embed_songs()
        before = len(model.encoded)
        again = embed_songs()
        assert again.embedded == 0 and again.unchanged == demo_songs.inserted
        assert len(model.encoded) == before  # the model was not called at all
        songs = db.session.scalars(sa.select(Song).order_by(Song.id).limit(2)).all()
        songs[0].lyrics = "completely new words about a lighthouse"
        songs[1].title = songs[1].title + " (Live)"
        db.session.commit()
        changed = {songs[0].id, songs[1].id}
        third = embed_songs()
        assert third.embedded == 2
        new_texts = model.encoded[before:]
        assert len(new_texts) == 2
        assert any("lighthouse" in t for t in new_texts) and any("(Live)" in t for t in new_texts)
        stored = db.session.scalars(sa.select(SongVector).where(SongVector.song_id.in_(changed))).all()
        assert len(stored) == 2 and all(row.indexed for row in stored)


class Interrupted(Exception):
    pass


def test_an_interrupted_run_resumes_where_it_stopped(app, demo_songs):
    model = embedder(app)
    real_encode = model.encode
    calls = {"n": 0}

    def flaky(texts, batch_size=32):
        calls["n"] += 1
        if calls["n"] == 4:
            raise KeyboardInterrupt  # what Ctrl-C raises mid-run
        return real_encode(texts, batch_size)

    model.encode = flaky
    with app.app_context():
        with pytest.raises(KeyboardInterrupt):
            embed_songs(batch_size=25)
        done = db.session.scalar(sa.select(sa.func.count()).select_from(SongVector))
        assert done == 3 * 25
        model.encode = real_encode
        before = len(model.encoded)
        resumed = embed_songs(batch_size=25)
        assert resumed.unchanged == 75
        assert resumed.embedded == demo_songs.inserted - 75
        assert len(model.encoded) - before == demo_songs.inserted - 75
        assert vector_store().count(SONGS) == demo_songs.inserted


def test_rebuild_embeds_everything_again(app, demo_songs):
    with app.app_context():
        embed_songs()
        rebuilt = embed_songs(rebuild=True)
        assert rebuilt.embedded == demo_songs.inserted
        assert vector_store().count(SONGS) == demo_songs.inserted


def test_payloads_carry_the_filter_fields(app, demo_songs):
    with app.app_context():
        embed_songs()
        genre = db.session.scalar(sa.select(Song.genre).group_by(Song.genre).order_by(sa.func.count().desc()))
        query = embedder().encode(["anything at all"])[0]
        hits = vector_store().search(SONGS, query.tolist(), k=20, must={"genre": genre, "explicit": False})
        assert hits
        songs = {
            s.id: s for s in db.session.scalars(sa.select(Song).where(Song.id.in_([h.id for h in hits])))
        }
        assert all(songs[h.id].genre == genre and not songs[h.id].explicit for h in hits)
        party = vector_store().count(SONGS, must={"good_for_party": True})
        in_sql = db.session.scalar(sa.select(sa.func.count()).where(Song.good_for_party.is_(True)))
        assert party == in_sql > 0


def test_seed_embeddings_command(runner, demo_songs):
    result = runner.invoke(args=["seed", "embeddings", "--batch-size", "100"])
    assert result.exit_code == 0, result.output
    assert f"embedded {demo_songs.inserted}" in result.output
    again = runner.invoke(args=["seed", "embeddings"])
    assert f"embedded 0 · written from cache 0 · unchanged {demo_songs.inserted}" in again.output


@pytest.fixture
def edge_settings(tmp_path):
    return {"QDRANT_LOCATION": None, "VECTORS_PATH": str(tmp_path / "vectors")}


def test_edge_backend_and_a_cli_meeting_a_held_shard(database_uri, edge_settings):
    """A CLI command run while another process (the server) holds the Edge shard says what to do."""
    from flask_migrate import upgrade

    from app import create_app

    from .fakes import HashingEmbedder

    db_url = database_uri("edge")  # the CLI subprocess opens it too: a file, or the session's cluster
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": db_url, **edge_settings})
    embedder.override(app, HashingEmbedder())
    with app.app_context():
        upgrade()
        from app.services.catalog.imports import import_spotify_csv

        from .conftest import DEMO_CATALOG

        import_spotify_csv(DEMO_CATALOG, limit=40)
        embed_songs()
        store = vector_store()
        assert store.backend == "edge" and store.count(SONGS) == 40
        # This process now plays the running server: it holds the shard open.
        env = {
            **os.environ,
            "DATABASE_URL": db_url,
            "VECTORS_PATH": edge_settings["VECTORS_PATH"],
            "SECRET_KEY": "x" * 32,
            "FLASK_APP": "app",
        }
        env.pop("QDRANT_URL", None)
        env.pop("QDRANT_LOCATION", None)
        cli = subprocess.run(
            [sys.executable, "-m", "flask", "vectors", "status"],
            env=env,
            capture_output=True,
            text=True,
            cwd=os.path.dirname(os.path.dirname(__file__)),
            timeout=120,
        )
        assert cli.returncode != 0
        assert "in use by another process" in cli.stderr
        store.close()
        freed = subprocess.run(
            [sys.executable, "-m", "flask", "vectors", "status", "--json"],
            env=env,
            capture_output=True,
            text=True,
            cwd=os.path.dirname(os.path.dirname(__file__)),
            timeout=120,
        )
        assert freed.returncode == 0, freed.stderr
        assert '"points": 40' in freed.stdout


def test_concurrent_first_requests_share_one_store(app):
    """gunicorn threads asking for the store at once must not open it twice."""
    import threading

    stores, barrier = [], threading.Barrier(6)

    def grab():
        with app.app_context():
            barrier.wait()
            stores.append(vector_store())

    threads = [threading.Thread(target=grab) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(stores) == 6 and all(store is stores[0] for store in stores)

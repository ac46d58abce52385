"""The PostgreSQL import (COPY into a staging table, one INSERT ... ON CONFLICT per batch) against
the SQLite import (one executemany per batch): the same songs, column for column, the same counts
and the same rejected lines, on the real samples and on a re-import that changes some rows."""

import csv
import itertools

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from app import create_app
from app.extensions import db
from app.models import Song
from app.services.catalog.imports import import_spotify_csv

from .conftest import shared_file
from .servers import missing_postgres, start_postgres
from .test_catalog_import import good_row, write_csv

TIMESTAMPS = ("created_at", "updated_at")
_names = itertools.count()


@pytest.fixture(scope="module")
def cluster():
    """One PostgreSQL cluster for the module, started by the first test that gets this far."""
    started = []
    yield started
    for server in started:
        server.stop()


def make_app(url):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "QDRANT_LOCATION": ":memory:"})
    with app.app_context():
        upgrade()
    return app


@pytest.fixture
def backends(tmp_path, cluster):
    """Two fresh, migrated apps: {"sqlite": app, "postgresql": app}."""
    import psycopg

    reason = missing_postgres()
    if reason:
        pytest.skip(f"the COPY import needs PostgreSQL: {reason}")
    if not cluster:
        cluster.append(start_postgres())
    postgres = cluster[0]
    name = f"import_{next(_names)}"
    with psycopg.connect(postgres.url.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    apps = {
        "sqlite": make_app(f"sqlite:///{tmp_path / 'songs.db'}"),
        "postgresql": make_app(postgres.database_url(name)),
    }
    yield apps
    for app in apps.values():
        with app.app_context():
            db.engine.dispose()


def import_into(app, path, **options):
    with app.app_context():
        assert db.engine.dialect.name in ("sqlite", "postgresql")
        return import_spotify_csv(path, **options)


def summary_of(summary):
    counts = (
        summary.schema,
        summary.read,
        summary.inserted,
        summary.updated,
        summary.unchanged,
        summary.merged,
        summary.skipped,
    )
    return counts, [(error.line, error.reason) for error in summary.errors]


def song_rows(app):
    """Every song row in id order: every column but the id and the times, and whether it was updated."""
    table = Song.__table__
    with app.app_context(), db.engine.connect() as conn:
        rows = conn.execute(sa.select(table).order_by(table.c.id)).mappings().all()
    return [
        {
            **{k: v for k, v in row.items() if k != "id" and k not in TIMESTAMPS},
            "updated since created": row["updated_at"] != row["created_at"],
        }
        for row in rows
    ]


def assert_same_songs(apps):
    sqlite, postgresql = song_rows(apps["sqlite"]), song_rows(apps["postgresql"])
    assert len(sqlite) == len(postgresql) > 0
    for ours, theirs in zip(sqlite, postgresql):
        assert ours == theirs, ours["natural_key"]
    return sqlite


@pytest.mark.parametrize("variable", ["SPOTIFY_SAMPLE_CSV", "SPOTIFY_TRACKS_CSV"])
def test_copy_import_matches_sqlite_row_for_row(request, tmp_path, variable):
    sample = shared_file(variable)  # skips before any cluster starts when the variable is unset
    backends = request.getfixturevalue("backends")
    # Batches of 64 put some of the sample's repeated songs in later batches than their first
    # copy, so updates and unchanged rows are compared too, not only inserts.
    summaries = {name: summary_of(import_into(app, sample, batch_size=64)) for name, app in backends.items()}
    assert summaries["sqlite"] == summaries["postgresql"]
    (schema, read, inserted, updated, unchanged, merged, skipped), errors = summaries["sqlite"]
    assert inserted > 400 and inserted + updated + unchanged + merged + skipped == read
    if schema == "tracks":
        assert skipped > 0 and {reason for _, reason in errors} >= {"missing title"}
    rows = assert_same_songs(backends)
    assert len(rows) == inserted

    # A re-import that changes some rows: only those are updated, identically on both.
    changed = tmp_path / "changed.csv"
    with open(sample, newline="", encoding="utf-8") as src:
        lines = list(csv.reader(src))
    column = lines[0].index("Popularity" if "Popularity" in lines[0] else "popularity")
    for line in lines[1:40]:
        line[column] = "7"
    with open(changed, "w", newline="", encoding="utf-8") as out:
        csv.writer(out).writerows(lines)
    again = {name: summary_of(import_into(app, changed, batch_size=64)) for name, app in backends.items()}
    assert again["sqlite"] == again["postgresql"]
    (_, _, inserted_again, updated_again, unchanged_again, *_), _ = again["sqlite"]
    assert inserted_again == 0 and updated_again > 0 and unchanged_again > 0
    rows = assert_same_songs(backends)
    assert sum(row["updated since created"] for row in rows) > 0


def test_database_rejection_on_postgresql_rolls_back_only_that_row(backends, tmp_path):
    path = write_csv(tmp_path / "songs.csv", [good_row(f"Song {i}") for i in range(5)])
    app = backends["postgresql"]
    with app.app_context():
        with db.engine.begin() as conn:
            conn.exec_driver_sql("ALTER TABLE songs ADD CONSTRAINT no_song_3 CHECK (title <> 'Song 3')")
        summary = import_spotify_csv(path, batch_size=10)
        assert summary.inserted == 4 and summary.skipped == 1
        assert summary.errors[0].line == 5 and "no_song_3" in summary.errors[0].reason
        titles = db.session.scalars(sa.select(Song.title).order_by(Song.id)).all()
        assert titles == ["Song 0", "Song 1", "Song 2", "Song 4"]
        # The staging table went with the import (pg_class lists every session's temporary tables).
        staged = sa.text(
            "SELECT count(*) FROM pg_class WHERE relname = 'songs_import' AND relpersistence = 't'"
        )
        assert db.session.scalar(staged) == 0


def test_the_copy_import_stores_lyrics_with_lz4_and_gives_its_connection_back_as_it_came(backends, tmp_path):
    from app.services.catalog.writer import LZ4_AVAILABLE, LZ4_SETTING, BatchWriter

    app = backends["postgresql"]
    long_lyrics = " ".join(["la la la, the long song goes on"] * 200)  # TOAST compresses it
    path = write_csv(tmp_path / "songs.csv", [good_row("Long Song", text=long_lyrics)])
    with app.app_context(), db.engine.connect() as conn:
        lz4 = conn.exec_driver_sql(LZ4_AVAILABLE).scalar()
        before = conn.exec_driver_sql(LZ4_SETTING).scalar()
        conn.rollback()
        writer = BatchWriter(conn)
        assert conn.exec_driver_sql(LZ4_SETTING).scalar() == ("lz4" if lz4 else before)
        writer.close()
        assert conn.exec_driver_sql(LZ4_SETTING).scalar() == before
    summary = import_into(app, path)
    assert summary.inserted == 1
    with app.app_context(), db.engine.connect() as conn:
        stored = conn.exec_driver_sql("SELECT pg_column_compression(lyrics), lyrics FROM songs").one()
    assert stored == (("lz4" if lz4 else "pglz"), long_lyrics)

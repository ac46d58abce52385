"""Finding 7 of issue 12: CLI commands and a running server that holds the embedded vector store.

Every `flask seed ...` and `flask vectors ...` command must stop with the README's message before
writing anything, and `flask vectors status` must exit non-zero when SQL and the index differ.
"""

import pytest
import sqlalchemy as sa

from app.extensions import db, vector_store
from app.models import ActivityEvent, Song, SongVector, User, UserVector
from app.services.catalog.imports import import_spotify_csv
from app.services.indexing.song_vectors import embed_songs
from app.services.ops import seeding
from app.vectors.edge import EdgeVectorStore
from app.vectors.schema import SONGS

from .conftest import DEMO_CATALOG

COMMANDS = [
    ["seed", "songs"],
    ["seed", "users", "--count", "5"],
    ["seed", "activities", "--per-user", "3"],
    ["seed", "embeddings"],
    ["seed", "user-embeddings"],
    ["seed", "all", "--users", "5", "--per-user", "3"],
    ["vectors", "status"],
    ["vectors", "sync"],
]
TABLES = (Song, SongVector, User, UserVector, ActivityEvent)


@pytest.fixture
def app_settings(tmp_path):
    return {"QDRANT_LOCATION": None, "VECTORS_PATH": str(tmp_path / "vectors")}


@pytest.fixture
def held_store(app, tmp_path):
    """20 songs embedded and two users without activity; the shards held as a running server holds them."""
    with app.app_context():
        import_spotify_csv(DEMO_CATALOG, limit=20)
        seeding.seed_users(2, seed=1)
        embed_songs()
        vector_store.close()
    holder = EdgeVectorStore(tmp_path / "vectors")  # the server: it has served requests, so it holds both
    for name in holder.collections():
        holder.count(name)
    yield holder
    holder.close()


def _row_counts(app):
    with app.app_context():
        return {t.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(t)) for t in TABLES}


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_each_command_stops_before_writing_when_a_server_holds_the_store(app, runner, held_store, args):
    before = _row_counts(app)
    result = runner.invoke(args=args)
    assert result.exit_code != 0, result.output
    assert "in use by another process" in result.output and "Stop it and rerun this command" in result.output
    assert _row_counts(app) == before  # nothing half-written


def test_commands_run_once_the_server_lets_go(app, runner, held_store):
    held_store.close()
    result = runner.invoke(args=["seed", "activities", "--per-user", "3"])
    assert result.exit_code == 0, result.output
    assert _row_counts(app)["ActivityEvent"] > 0


def test_vectors_status_exits_non_zero_when_sql_and_the_index_differ(app, runner, tmp_path):
    with app.app_context():
        import_spotify_csv(DEMO_CATALOG, limit=20)
        embed_songs()
        vector_store.close()
    matching = runner.invoke(args=["vectors", "status"])
    assert matching.exit_code == 0, matching.output
    with app.app_context():
        store = vector_store()
        store.delete(SONGS, sorted(store.ids(SONGS))[:3])
        vector_store.close()
    differing = runner.invoke(args=["vectors", "status"])
    assert differing.exit_code == 1
    assert "differs: songs: 17 points, SQL says 20" in differing.output
    as_json = runner.invoke(args=["vectors", "status", "--json"])
    assert as_json.exit_code == 1 and '"songs: 17 points, SQL says 20"' in as_json.output
    assert runner.invoke(args=["vectors", "sync"]).exit_code == 0
    assert runner.invoke(args=["vectors", "status"]).exit_code == 0


def test_vectors_status_exits_non_zero_when_a_collection_is_missing(app, runner, tmp_path):
    with app.app_context():
        import_spotify_csv(DEMO_CATALOG, limit=5)
        embed_songs()
        vector_store().drop_collection(SONGS)
        vector_store.close()
    result = runner.invoke(args=["vectors", "status"])
    assert result.exit_code == 1 and "differs: songs: collection missing" in result.output

"""PostgreSQL as a tested database: migrations both ways, concurrent actions, search, integer range.

Every test here runs on PostgreSQL whatever SONGBIRD_TEST_DATABASE says: conftest starts the
session's throwaway cluster (tests.servers) when the suite itself runs on SQLite, and skips these
tests, saying why, where PostgreSQL is not installed.
"""

import random
import threading

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade

from app import create_app
from app.database import include_for_dialect
from app.extensions import db, embedder
from app.models import ActivityEvent, Song, User, UserSong
from app.services.accounts.users import register_user
from app.services.activity.events import record_activity, revert_activity
from app.services.catalog.browse import song_query
from app.services.catalog.imports import import_spotify_csv

from .conftest import DEMO_CATALOG
from .fakes import HashingEmbedder

pytestmark = pytest.mark.postgresql_only("checks PostgreSQL itself: its migrations, row locks and ILIKE")

THREADS = 8
ACTIONS_PER_THREAD = 6
TABLES = {
    "activity_events",
    "api_tokens",
    "audit_log",
    "seed_runs",
    "song_vectors",
    "songs",
    "user_songs",
    "user_vectors",
    "users",
}


def _tables(conn):
    return set(sa.inspect(conn).get_table_names()) - {"alembic_version"}


def _head(app):
    return ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config()).get_current_head()


def test_migrations_upgrade_downgrade_to_base_and_upgrade_again(database_uri):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_uri("empty", migrated=False)})
    with app.app_context():
        assert db.engine.dialect.name == "postgresql"
        upgrade()
        with db.engine.connect() as conn:
            assert _tables(conn) == TABLES
            assert MigrationContext.configure(conn).get_current_revision() == _head(app)
            # The models and the migrated schema agree on PostgreSQL's types, defaults included.
            typed = MigrationContext.configure(
                conn, opts={"compare_type": True, "include_object": include_for_dialect(conn.dialect.name)}
            )
            assert compare_metadata(typed, db.metadata) == []
        with db.engine.begin() as conn:  # rows the downgrades must carry, an "unrate" event among them
            conn.exec_driver_sql(
                "INSERT INTO users (id, username, password_hash, emotions, tags, created_at) "
                "VALUES (1, 'old', 'x', '[]', '[]', now())"
            )
            conn.exec_driver_sql(
                "INSERT INTO songs (id, natural_key, row_hash, title, artist, artists, genres, "
                "similar_songs, created_at, updated_at) "
                "VALUES (1, 'k', 'h', 'T', 'A', '[]', '[]', '[]', now(), now())"
            )
            conn.exec_driver_sql("INSERT INTO user_songs (user_id, song_id, updated_at) VALUES (1, 1, now())")
            conn.exec_driver_sql(
                "INSERT INTO activity_events (user_id, song_id, kind, created_at) "
                "VALUES (1, 1, 'unrate', now())"
            )
            # Server defaults are booleans on PostgreSQL (they were the integer 0, which it refused).
            row = conn.exec_driver_sql("SELECT is_admin, is_active, rec_version FROM users").one()
            assert row == (False, True, 0)
            state = conn.exec_driver_sql("SELECT liked, bookmarked, disliked, play_count FROM user_songs")
            assert state.one() == (False, False, False, 0)
        downgrade(revision="8c4f2a61d9e7")
        downgrade(revision="5d1e7a9c3b20")  # drops "unrate" events, which the old CHECK refuses
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM activity_events").scalar() == 0
            assert conn.exec_driver_sql("SELECT count(*) FROM user_songs").scalar() == 1
        downgrade(revision="base")
        with db.engine.connect() as conn:
            assert _tables(conn) == set()
            assert MigrationContext.configure(conn).get_current_revision() is None
        upgrade()
        with db.engine.connect() as conn:
            assert _tables(conn) == TABLES
            assert MigrationContext.configure(conn).get_current_revision() == _head(app)
        db.engine.dispose()


@pytest.fixture
def song_id(app):
    with app.app_context():
        import_spotify_csv(DEMO_CATALOG, limit=5)
        return db.session.scalar(sa.select(Song.id).order_by(Song.id))


def _in_threads(app, jobs):
    """Run each job in its own thread inside an app context, all released at once; their exceptions."""
    barrier, errors = threading.Barrier(len(jobs)), []

    def run(job):
        try:
            with app.app_context():
                barrier.wait(timeout=60)
                job()
        except Exception as exc:  # the assertion on `errors` reports it
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(thread.is_alive() for thread in threads), "a thread still waits (a lock never released?)"
    return errors


def _likes_and_unlikes(user_id, song_id, seed):
    """A job: like, unlike, or undo a like (which forgets a state left empty), in a seeded order."""

    def job():
        rng = random.Random(seed)
        for _ in range(ACTIONS_PER_THREAD):
            action = rng.choice(["like", "unlike", "undo"])
            if action == "undo":
                revert_activity(user_id, song_id, "unlike")
            else:
                record_activity(user_id, song_id, action)

    return job


def _check_against_the_log(user_id, song_id):
    """The state says what the user's last like/unlike event says; the log lost no action."""
    events = db.session.execute(
        sa.select(ActivityEvent.kind, ActivityEvent.created_at)
        .where(ActivityEvent.user_id == user_id, ActivityEvent.song_id == song_id)
        .order_by(ActivityEvent.id)
    ).all()
    times = [at for _, at in events]
    assert times == sorted(times), "the log's ids and times disagree about the order"
    states = db.session.scalars(
        sa.select(UserSong).where(UserSong.user_id == user_id, UserSong.song_id == song_id)
    ).all()
    assert len(states) <= 1
    liked = bool(states and states[0].liked)
    assert liked == (events[-1].kind == "like"), (events[-1].kind, states)
    if not states:  # forgotten only by an undo, which logs "unlike"
        assert events[-1].kind == "unlike"
    return len(events)


def test_concurrent_likes_of_one_song_by_one_user_end_as_the_log_says(app, song_id):
    with app.app_context():
        user_id = register_user("alice", "correct-horse").id
    errors = _in_threads(app, [_likes_and_unlikes(user_id, song_id, seed) for seed in range(THREADS)])
    assert errors == []
    with app.app_context():
        assert _check_against_the_log(user_id, song_id) == THREADS * ACTIONS_PER_THREAD
        # Every action bumped the user's version by SQL arithmetic: none was lost.
        assert db.session.get(User, user_id).rec_version == THREADS * ACTIONS_PER_THREAD


def test_concurrent_likes_of_one_song_by_many_users_end_as_each_log_says(app, song_id):
    with app.app_context():
        users = [register_user(f"user{n}", "correct-horse").id for n in range(THREADS)]
    errors = _in_threads(app, [_likes_and_unlikes(user, song_id, seed) for seed, user in enumerate(users)])
    assert errors == []
    with app.app_context():
        assert sum(_check_against_the_log(user, song_id) for user in users) == THREADS * ACTIONS_PER_THREAD
        events = db.session.scalar(sa.select(sa.func.count()).select_from(ActivityEvent))
        assert events == THREADS * ACTIONS_PER_THREAD
        versions = db.session.scalars(sa.select(User.rec_version).where(User.id.in_(users))).all()
        assert sorted(versions) == [ACTIONS_PER_THREAD] * THREADS


SPECIAL_SONGS = [
    ("ÉMILE et moi", "Zoé"),
    ("100% Pure", "Percent"),
    ("snake_case blues", "Under Score"),
    ("back\\slash", "Escaper"),
    ("Öl und Brot", "ÄRZTE"),
    ("LOVE Loud", "Capital"),
]
QUERIES = [
    "love",
    "LOVE",
    "Love",
    "a",
    "the b",
    "%",
    "_",
    "\\",
    "100%",
    "e_c",
    "émile",
    "ÉMILE",
    "zoé",
    "ärzte",
    "öl",
    "nothing-matches-this",
]


def _search_app(uri):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": uri, "QDRANT_LOCATION": ":memory:"})
    embedder.override(app, HashingEmbedder())
    return app


def _search_results(app, migrate):
    with app.app_context():
        if migrate:
            upgrade()
        import_spotify_csv(DEMO_CATALOG, limit=300)
        for n, (title, artist) in enumerate(SPECIAL_SONGS):
            db.session.add(
                Song(
                    natural_key=f"special:{n}",
                    row_hash="h",
                    title=title,
                    artist=artist,
                    artists=[artist],
                    genres=[],
                    similar_songs=[],
                )
            )
        db.session.commit()
        keys = {q: song_query(q).with_only_columns(Song.natural_key) for q in QUERIES}
        results = {q: db.session.scalars(query).all() for q, query in keys.items()}
        db.engine.dispose()
    return results


def test_search_finds_the_same_songs_on_postgresql_as_on_sqlite(app, tmp_path):
    on_postgres = _search_results(app, migrate=False)
    on_sqlite = _search_results(_search_app(f"sqlite:///{tmp_path / 'search.db'}"), migrate=True)
    assert on_postgres == on_sqlite
    # Case and wildcards behave as a search box promises, on both.
    assert on_postgres["love"] == on_postgres["LOVE"] and "special:5" in on_postgres["love"]
    assert on_postgres["émile"] == on_postgres["ÉMILE"] == ["special:0"]
    assert on_postgres["ärzte"] == ["special:4"] and on_postgres["öl"][:1] == ["special:4"]
    assert on_postgres["100%"] == ["special:1"] and on_postgres["e_c"] == ["special:2"]
    assert on_postgres["\\"] == ["special:3"] and on_postgres["nothing-matches-this"] == []


INT4_MAX = 2**31 - 1


@pytest.mark.parametrize("big_id", [INT4_MAX + 1, 2**40, 2**63 - 1])
def test_ids_beyond_postgresql_integer_are_404_not_500(app, client, auth, user, big_id):
    """INTEGER ids refused such ids with a DataError (a 500); BIGINT ones find nothing, as on SQLite."""
    from .api_support import bearer, new_token

    headers = bearer(new_token(app, user))
    assert client.get(f"/api/v1/songs/{big_id}", headers=headers).status_code == 404
    like = {"song_id": big_id, "action": "like"}
    assert client.post("/api/v1/me/activities", json=like, headers=headers).status_code == 404
    auth.login()
    assert client.get(f"/songs/{big_id}").status_code == 404

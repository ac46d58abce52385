# ruff: noqa: RUF001  (letters that look alike are what these tests are about)
"""SQLite's FTS5 trigram index of song search: it narrows the rows search reads, never its results.

The index (migration 3e5a1c7d9b42) is a prefilter: song_query keeps its own predicate, so every
search must find the same songs, in the same order, with the index and without it (a database
migrated before it, or an SQLite without FTS5). The triggers must keep it right through every
write path: the import (plain INSERT and its upsert), the ORM, and admin edits and deletions.
"""

import random
import sqlite3

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from app import create_app
from app.extensions import db, embedder
from app.models import Song
from app.services.catalog import search_index
from app.services.catalog.browse import _contains, song_query
from app.services.catalog.imports import import_spotify_csv

from .admin_support import admin, admin_headers  # noqa: F401
from .conftest import DEMO_CATALOG
from .fakes import HashingEmbedder
from .test_catalog_import import good_row, write_csv

BEFORE = "f2b7c41e9a05"  # the revision before the index
SPECIAL = [  # (title, artist, album)
    ("ÉMILE et moi", "Zoé", "Café Crème"),
    ("e\u0301mile decomposed", "Zoe\u0301", None),
    ("İstanbul'da Bir Gece", "DİYARBAKIR Boys", "Ísland"),
    ("ıslak kedi", "Türkçe", None),
    ("ΣΟΦΟΣ", "Σίσυφος", "ΟΔΟΣ ΣΑΣ"),
    ("Kelvin \u212a Song", "Ångström Å", None),
    ("Straße GROẞ", "STRASSE", "groß"),
    ("ǅemal ǄǆǄ", "Ǉubav", None),
    ("ᲒᲔᲝᲠᲒᲘ Mtavruli", "გეორგი Mkhedruli", None),
    ("ᏣᎳᎩ Cherokee", "ꮳꮃꭹ lower", None),
    ("東京事変 ライブ", "椎名林檎", "教育"),
    ("🔥 Fire 🔥 Emoji 🎶", "DJ 😀", None),
    ('"Quoted" Song', "It's Me", "Album: (Deluxe)"),
    ("100% Pure", "Under_Score", "back\\slash"),
    ("NEAR the OR AND NOT", "a*b*c", "-minus ^caret"),
    ("{col}: title:love", "x NEAR(y z)", None),
    ("Long " + "ab" * 300, "Repeat", None),
    ("i\u0307 dotted pair", "DOTLESS I", None),
]
QUERIES = [
    *("love", "LOVE", "the", "a", "ab", "zz", "é", "ÉM", "émile", "ÉMILE", "zoé", "ZOÉ", "café"),
    *("e\u0301m", "zoe\u0301", "istanbul", "İstanbul", "İSTANBUL", "i̇stanbul", "stanbul", "diyarbakir"),
    *("DİYARBAKIR", "diyarbakır", "ıslak", "ISLAK", "islak", "σοφος", "σοφοσ", "ΣΟΦΟΣ", "σίσυφος"),
    *("οδος σας", "ΟΔΟΣ ΣΑΣ", "kelvin k", "kelvin \u212a", "ångström", "ÅNGSTRÖM", "straße", "strasse"),
    *("STRASSE", "groß", "GROẞ", "groẞ", "ǆemal", "ǅEMAL", "ǆǆǆ", "ǉubav", "ᲒᲔᲝ", "გეო", "ᲒᲔᲝᲠᲒᲘ mt"),
    *("ᏣᎳᎩ", "ꮳꮃꭹ", "ᏣᎳᎩ l", "東京", "東京事変", "ライブ", "椎名林檎", "🔥", "fire 🔥", "🎶", "😀"),
    *('"', '""', '"quoted"', '"Quoted" Song', "it's", "'", "album: (deluxe)", ": (", "(", ")"),
    *("100%", "%", "%%", "_", "under_score", "r_s", "\\", "back\\slash", "k\\s", "near", "NEAR"),
    *("NEAR(", "or and", "AND NOT", "NOT", "a*b", "*", "a*b*c", "-minus", "-", "^caret", "^"),
    *("{col}", "title:love", "x near(y z)", "ab" * 150, "abab" * 300, "i\u0307 d", "\u0307 do"),
    *("dotted", "DOTLESS", "dotless ı", "  ", "   ", "zqxjw", "#", "a\x00b"),
]


def _add_songs(rows):
    for n, (title, artist, album) in enumerate(rows):
        db.session.add(
            Song(natural_key=f"special:{n}", row_hash="h", title=title, artist=artist, album=album)
        )
    db.session.commit()


def _search(queries):
    """Each query's songs in song_query's order (its default sort), as natural keys."""
    return {q: db.session.scalars(song_query(q).with_only_columns(Song.natural_key)).all() for q in queries}


def _matches(text):
    """The ids the index alone holds for text, as a quoted phrase."""
    phrase = '"' + text.replace('"', '""') + '"'
    rows = db.session.execute(
        sa.text("SELECT rowid FROM songs_search WHERE songs_search MATCH :p"), {"p": phrase}
    )
    return {row[0] for row in rows}


def _check_index():
    """FTS5's own check that the index holds exactly what songs holds (raises when it does not); on
    a connection of its own, since the check is an INSERT, which would leave the session writing."""
    with db.engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO songs_search (songs_search, rank) VALUES ('integrity-check', 1)")


def _objects(kind):
    query = "SELECT name FROM sqlite_master WHERE type = :kind AND name LIKE 'songs_search%' ORDER BY name"
    return db.session.scalars(sa.text(query), {"kind": kind}).all()


SQLITE = pytest.mark.sqlite_only("the FTS5 index exists on SQLite only (PostgreSQL has pg_trgm)")


@SQLITE
def test_searches_find_the_same_songs_in_the_same_order_with_and_without_the_index(app):
    with app.app_context():
        import_spotify_csv(DEMO_CATALOG, limit=300)
        _add_songs(SPECIAL)
        assert search_index.has_index(db.session)
        narrowed = [q for q in QUERIES if search_index.candidates(db.session, q) is not None]
        # The index serves most of these searches; the rest (short, NUL, nothing safe to cut) scan.
        assert len(narrowed) > 0.7 * len(QUERIES)
        assert "MATCH" in str(song_query("love").compile()) and "MATCH" not in str(song_query("lo").compile())
        indexed = _search(QUERIES)
        downgrade(revision=BEFORE)
        assert not search_index.has_index(db.session)
        scanned = _search(QUERIES)
    assert indexed == scanned
    assert sum(bool(keys) for keys in indexed.values()) > 0.7 * len(QUERIES)  # the searches find songs
    assert indexed["émile"] == indexed["ÉMILE"] == ["special:0"]
    assert indexed["İstanbul"] == ["special:2"] and indexed["ΣΟΦΟΣ"] == ["special:4"]


def _random_text(rng, alphabet, size):
    return "".join(rng.choice(alphabet) for _ in range(size))


# Letters whose case FTS5 and Python treat differently, their neighbours, and FTS5's syntax.
ALPHABET = [*'abikKsSIΣσςßẞÅåǅǆ\u0307\u0301éÉ東😀"*:^-()% _\\', "İ", "ı", "\u212a", "Ა", "ა", "Ꭰ", "ꭰ"]
CASES = (str, str.upper, str.lower, str.swapcase, str.casefold, str.title)


@SQLITE
def test_the_index_never_drops_a_song_the_search_finds(app):
    """Random songs and searches over troublesome letters: the index's candidates hold every match."""
    rng = random.Random(20261203)
    rows = [tuple(_random_text(rng, ALPHABET, rng.randint(0, 12)) for _ in range(3)) for _ in range(400)]
    texts = [rng.choice(CASES)(rng.choice(row)[rng.randint(0, 3) :][: rng.randint(3, 6)]) for row in rows * 2]
    texts += [_random_text(rng, ALPHABET, rng.randint(3, 6)) for _ in range(200)]
    with app.app_context():
        _add_songs(rows)
        narrowed = found = 0
        for text in texts:
            matches = sa.or_(*(_contains(column, text) for column in (Song.title, Song.artist, Song.album)))
            everything = set(db.session.scalars(sa.select(Song.id).where(matches)))
            candidates = search_index.candidates(db.session, text)
            if candidates is None:
                continue
            narrowed += 1
            found += bool(everything)
            kept = set(db.session.scalars(sa.select(Song.id).where(matches, Song.id.in_(candidates))))
            assert kept == everything, text
    assert narrowed > 500 and found > 300  # the comparison ran, on searches that find songs


def test_text_is_cut_where_the_two_foldings_disagree():
    anywhere, at_end = search_index._disagreements()
    assert "\u0307" in anywhere  # the second half of the dotted capital I's lowering
    assert not anywhere & set("abcdefghijklmnopqrstuvwxyz0123456789 éσςß")
    assert search_index._phrases("İstanbul") == ["stanbul"]
    assert search_index._phrases("Ab") == [] and search_index._phrases("a\x00bcd") == []
    assert search_index._phrases('say "hi" NEAR(x)') == ['say "hi" NEAR(x)']
    if "i" in at_end:  # FTS5 leaves U+0130 as it is (SQLite 3.40): a trailing "i" may be its half
        assert search_index._phrases("ÉMILE et moi") == ["émile et mo"]


@SQLITE
def test_the_triggers_keep_the_index_right_through_the_import(app, tmp_path):
    with app.app_context():
        summary = import_spotify_csv(DEMO_CATALOG, limit=120)
        _check_index()
        song = db.session.scalar(sa.select(Song).order_by(Song.id).limit(1))
        assert song.id in _matches(song.title) and len(_matches("zqxjw")) == 0
        assert db.session.scalar(sa.text("SELECT count(*) FROM songs_search")) == summary.inserted
    # An updated row goes through the import's upsert: same song (artist, title, album), new values.
    first = write_csv(
        tmp_path / "a.csv", [good_row("Quartz Harbour", "Velvet Moth", Album="Glasswing Depot")]
    )
    second = write_csv(
        tmp_path / "b.csv", [good_row("Quartz Harbour", "Velvet Moth", Album="Glasswing Depot", text="new")]
    )
    with app.app_context():
        assert import_spotify_csv(first).inserted == 1
        song_id = _matches("quartz harbour").pop()
        assert import_spotify_csv(second).updated == 1
        _check_index()
        assert _matches("QUARTZ") == _matches("velvet moth") == _matches("glasswing") == {song_id}


@SQLITE
def test_the_triggers_follow_each_column_and_deletion(app):
    with app.app_context():
        _add_songs([("Amber Tide", "Cobalt Owl", "Salt Roads")])
        song = db.session.scalar(sa.select(Song))
        for column, old, new in (
            ("title", "amber tide", "Violet Ferry"),
            ("artist", "cobalt owl", "Ümlaut Örchestra"),
            ("album", "salt roads", None),
        ):
            setattr(song, column, new)
            db.session.commit()
            _check_index()
            assert song.id not in _matches(old), column
            if new:
                assert _matches(new.upper()) == {song.id}, column
        assert _matches("violet") == {song.id}  # the other columns stayed indexed
        db.session.delete(song)
        db.session.commit()
        _check_index()
        assert (
            _matches("violet") == set()
            and db.session.scalar(sa.text("SELECT count(*) FROM songs_search")) == 0
        )


@SQLITE
def test_admin_edits_and_deletions_reach_the_search(app, client, admin_headers, demo_songs):
    created = client.post(
        "/api/v1/songs", json={"title": "Harbour Lights", "artist": "Tin Gulls"}, headers=admin_headers
    )
    assert created.status_code == 201, created.get_data(as_text=True)
    song_id = created.get_json()["song"]["id"]

    def found(text):
        response = client.get("/api/v1/songs", query_string={"q": text}, headers=admin_headers)
        return {song["id"] for song in response.get_json()["items"]}

    assert found("harbour lights") == {song_id}
    patched = client.patch(
        f"/api/v1/songs/{song_id}", json={"title": "Lantern Quay", "album": "Dockside"}, headers=admin_headers
    )
    assert patched.status_code == 200
    assert found("harbour lights") == set() and found("lantern quay") == found("dockside") == {song_id}
    assert client.delete(f"/api/v1/songs/{song_id}", headers=admin_headers).status_code == 200
    assert found("lantern quay") == set()
    with app.app_context():
        _check_index()
        assert _matches("lantern quay") == set()


@SQLITE
def test_the_migration_indexes_existing_songs_and_downgrades_cleanly(tmp_path):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'm.db'}"})
    embedder.override(app, HashingEmbedder())
    with app.app_context():
        upgrade(revision=BEFORE)
        import_spotify_csv(DEMO_CATALOG, limit=50)
        before = _search(["love", "the", "émile"])
        upgrade()
        assert _objects("table")[0] == "songs_search" and len(_objects("trigger")) == 3
        _check_index()  # 'rebuild' indexed the songs already there
        song = db.session.scalar(sa.select(Song).order_by(Song.id).limit(1))
        assert song.id in _matches(song.title)
        assert _search(["love", "the", "émile"]) == before
        downgrade(revision=BEFORE)
        assert _objects("table") == [] and _objects("trigger") == []
        _add_songs([("After Downgrade", "Nobody", None)])  # no trigger left behind to fail a write
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Song)) == 51
        assert _search(["after down"])["after down"] == ["special:0"]
        upgrade()
        _check_index()
        assert _matches("after down") == {
            db.session.scalar(sa.select(Song.id).where(Song.natural_key == "special:0"))
        }
        db.engine.dispose()


@SQLITE
def test_an_sqlite_without_fts5_migrates_with_a_warning_and_searches_by_scanning(tmp_path, capfd):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'old.db'}"})
    embedder.override(app, HashingEmbedder())

    def deny_virtual_tables(dbapi_connection, _record):
        # As an SQLite built without FTS5 (or older than 3.34, without the trigram tokenizer) would.
        def authorize(action, *_):
            return sqlite3.SQLITE_DENY if action == sqlite3.SQLITE_CREATE_VTABLE else sqlite3.SQLITE_OK

        dbapi_connection.set_authorizer(authorize)

    with app.app_context():
        sa.event.listen(db.engine, "connect", deny_virtual_tables)
        upgrade()
        # Alembic's logging configuration (alembic.ini) writes to stderr, not to the root logger.
        warning = "FTS5 trigram tokenizer not available (not authorized): song search will scan"
        assert warning in capfd.readouterr().err
        assert _objects("table") == [] and _objects("trigger") == []
        assert not search_index.has_index(db.session)
        _add_songs(SPECIAL)
        results = _search(["émile", "love", '"quoted"', "NEAR"])
        assert results == {
            "émile": ["special:0"],
            "love": ["special:15"],
            '"quoted"': ["special:12"],
            "NEAR": ["special:14", "special:15"],
        }
        db.engine.dispose()


@pytest.mark.postgresql_only("the revision must do nothing on PostgreSQL")
def test_the_revision_does_nothing_on_postgresql(app):
    with app.app_context():
        tables = set(sa.inspect(db.engine).get_table_names())
        assert not {name for name in tables if name.startswith("songs_search")}
        assert not search_index.has_index(db.session) and search_index.candidates(db.session, "love") is None
        assert "MATCH" not in str(song_query("love").compile(db.engine))
        _add_songs(SPECIAL[:1])
        downgrade(revision=BEFORE)
        upgrade()
        assert _search(["émile", "ÉMILE"]) == {"émile": ["special:0"], "ÉMILE": ["special:0"]}
        db.engine.dispose()

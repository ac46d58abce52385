"""Importing Spotify CSV files: real samples, broken rows, idempotence, atomic batches."""

import csv
import datetime as dt
import types
import typing

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Song
from app.services.catalog.imports import import_spotify_csv
from app.spotify_csv.schemas import LYRICS_HEADER
from app.spotify_csv.vocab import FLAG_COLUMNS

from .conftest import DEMO_CATALOG


def songs_by_title(title):
    return db.session.scalars(sa.select(Song).where(Song.title == title)).all()


def count_songs():
    return db.session.scalar(sa.select(sa.func.count()).select_from(Song))


def test_real_lyrics_sample_imports_with_parsed_values(app, lyrics_sample):
    with app.app_context():
        summary = import_spotify_csv(lyrics_sample)
        assert (summary.read, summary.skipped) == (1000, 0)
        # 105 rows repeat an artist + title + album seen before and are merged.
        assert summary.inserted == 895 == count_songs()
        assert summary.merged == 105

        (song,) = songs_by_title("Even When the Waters Cold")
        assert song.artist == "!!!"
        assert song.album == "Thr!!!er"
        assert song.duration_s == 3 * 60 + 47
        assert song.loudness == pytest.approx(-6.85)
        assert song.release_date == dt.date(2013, 4, 29) and song.release_year == 2013
        assert (song.key, song.mode, song.key_name) == (2, 0, "D minor")
        assert song.explicit is False
        assert song.energy == pytest.approx(0.83) and song.valence == pytest.approx(0.87)
        assert song.good_for_party is False
        assert song.emotion == "sadness" and song.genres == ["hip hop"]
        assert song.similar_songs[0] == {
            "artist": "Corey Smith",
            "title": "If I Could Do It Again",
            "score": pytest.approx(0.98606, abs=1e-5),
        }
        assert "swim even when the water's cold" in song.lyrics

        party = db.session.scalars(sa.select(Song).where(Song.good_for_party.is_(True))).all()
        assert 0 < len(party) < 895
        explicit = db.session.scalar(sa.select(sa.func.count()).where(Song.explicit.is_(True)))
        assert 0 < explicit < 895
        multi = db.session.scalars(sa.select(Song).where(Song.genre == "rock")).first()
        assert multi.genres[0] == "rock" and len(multi.genres) > 1


def test_second_import_adds_nothing(app, lyrics_sample):
    with app.app_context():
        import_spotify_csv(lyrics_sample)
        before = count_songs()
        again = import_spotify_csv(lyrics_sample)
        assert (again.inserted, again.updated) == (0, 0)
        assert again.unchanged == 895
        assert count_songs() == before


def test_reimport_updates_changed_rows(app, tmp_path, lyrics_sample):
    with app.app_context():
        import_spotify_csv(lyrics_sample)
        with open(lyrics_sample, newline="", encoding="utf-8") as src:
            rows = list(csv.reader(src))
        rows[1][LYRICS_HEADER.index("Popularity")] = "99"
        changed = tmp_path / "changed.csv"
        with open(changed, "w", newline="", encoding="utf-8") as out:
            csv.writer(out).writerows(rows)
        summary = import_spotify_csv(changed)
        assert summary.inserted == 0 and summary.updated == 1
        (song,) = songs_by_title("Even When the Waters Cold")
        assert song.popularity == 99


def test_tracks_sample_imports_on_the_same_scale(app, tracks_sample):
    with app.app_context():
        summary = import_spotify_csv(tracks_sample)
        assert summary.schema == "tracks"
        assert summary.read == 500
        assert summary.inserted + summary.merged + summary.skipped == 500
        assert summary.inserted == count_songs() > 450
        reasons = {e.reason for e in summary.errors}
        assert "missing title" in reasons
        (song,) = db.session.scalars(sa.select(Song).where(Song.source_track_id == "6KwkVtXm8OUp2XffN5k7lY"))
        assert song.title == "No Other Name" and song.genre == "world-music"
        assert song.duration_s == 7 * 60 + 20
        assert song.energy == pytest.approx(0.598) and song.valence == pytest.approx(0.0466)
        assert song.explicit is False and song.loudness == pytest.approx(-6.984)
        assert (song.key, song.mode, song.time_signature) == (7, 1, 4)
        assert song.good_for_party is None  # the schema has no flags: unknown, not "no"
        # Features share the 0-1 scale of the lyrics schema.
        top = db.session.scalar(sa.select(sa.func.max(Song.energy)))
        assert 0.5 < top <= 1.0
        again = import_spotify_csv(tracks_sample)
        assert again.inserted == 0 and again.updated == 0


def write_csv(path, rows, header=LYRICS_HEADER):
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def good_row(title, artist="Test Artist", **changes):
    row = dict.fromkeys(LYRICS_HEADER, "")
    row.update(
        {
            "Artist(s)": artist,
            "song": title,
            "text": "la la la",
            "Length": "03:00",
            "emotion": "joy",
            "Genre": "pop",
            "Album": "Tests",
            "Release Date": "1st May 2020",
            "Key": "C Maj",
            "Tempo": "120",
            "Loudness (db)": "-5db",
            "Time signature": "4/4",
            "Explicit": "No",
            "Popularity": "50",
            "Energy": "50",
            "Danceability": "50",
            "Positiveness": "50",
            "Speechiness": "5",
            "Liveness": "10",
            "Acousticness": "20",
            "Instrumentalness": "0",
        }
    )
    for header in LYRICS_HEADER:
        if header.startswith("Good for"):
            row[header] = "0"
    row.update(changes)
    return [row[h] for h in LYRICS_HEADER]


def test_broken_rows_are_reported_with_line_numbers_and_skipped(app, tmp_path):
    rows = [
        good_row("Fine One"),  # line 2
        good_row("Bad Energy", Energy="lots"),  # line 3
        good_row(""),  # line 4
        good_row("Short")[:10],  # line 5
        good_row("Multi\nLine Title Is Fine"),  # lines 6-7
        good_row("Bad Date", **{"Release Date": "31st February 2020"}),  # line 8
        good_row("Fine Two"),  # line 9
    ]
    path = write_csv(tmp_path / "broken.csv", rows)
    with open(path, "ab") as out:  # line 10: not UTF-8
        out.write(b"Bad\xff\xfeBytes," + b",".join([b"x"] * (len(LYRICS_HEADER) - 1)) + b"\n")
    with app.app_context():
        summary = import_spotify_csv(path)
        reported = {e.line: e.reason for e in summary.errors}
        assert set(reported) == {3, 4, 5, 8, 10}
        assert reported[3] == "bad number in Energy: 'lots'"
        assert reported[4] == "missing title"
        assert reported[5].startswith("wrong column count: 10 instead of")
        assert reported[8].startswith("bad date")
        assert "undecodable" in reported[10]
        assert (summary.read, summary.inserted, summary.skipped) == (8, 3, 5)
        titles = set(db.session.scalars(sa.select(Song.title)))
        assert titles == {"Fine One", "Fine Two", "Multi Line Title Is Fine"}


def refuse_song_3():
    """A constraint named no_song_3 refusing songs titled "Song 3": any rule the database enforces
    beyond the parser (a trigger on SQLite, which cannot add a CHECK to a table; a CHECK elsewhere)."""
    with db.engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql(
                "CREATE TRIGGER no_song_3 BEFORE INSERT ON songs WHEN NEW.title = 'Song 3' "
                "BEGIN SELECT RAISE(ABORT, 'no_song_3: song 3 is refused'); END"
            )
        else:
            conn.exec_driver_sql("ALTER TABLE songs ADD CONSTRAINT no_song_3 CHECK (title <> 'Song 3')")


def test_database_rejection_rolls_back_only_that_row(app, tmp_path):
    path = write_csv(tmp_path / "songs.csv", [good_row(f"Song {i}") for i in range(5)])
    with app.app_context():
        refuse_song_3()
        summary = import_spotify_csv(path, batch_size=10)
        assert summary.inserted == 4 and summary.skipped == 1
        assert summary.errors[0].line == 5 and "no_song_3" in summary.errors[0].reason
        assert count_songs() == 4
        assert all(song.title != "Song 3" for song in db.session.scalars(sa.select(Song)))


def test_batches_commit_separately_and_limit_stops_reading(app, tmp_path):
    path = write_csv(tmp_path / "songs.csv", [good_row(f"Song {i}") for i in range(25)])
    with app.app_context():
        summary = import_spotify_csv(path, limit=12, batch_size=5)
        assert (summary.read, summary.inserted) == (12, 12)
        assert count_songs() == 12


def test_unknown_header_is_a_clear_error(app, tmp_path):
    path = write_csv(tmp_path / "other.csv", [["a", "b"]], header=["name", "email"])
    with app.app_context(), pytest.raises(ValueError, match="unrecognised CSV header"):
        import_spotify_csv(path)


def test_seed_songs_command_prints_errors_and_summary(runner, tmp_path):
    path = write_csv(tmp_path / "songs.csv", [good_row("One"), good_row("Two", Tempo="fast")])
    result = runner.invoke(args=["seed", "songs", str(path)])
    assert result.exit_code == 0, result.output
    assert "line 3: bad number in Tempo: 'fast'" in result.output
    assert "read 2 · inserted 1 · updated 0 · unchanged 0 · merged duplicates 0 · skipped 1" in result.output


def test_seed_songs_command_fails_clearly_on_a_missing_file(runner, tmp_path):
    result = runner.invoke(args=["seed", "songs", str(tmp_path / "nope.csv")])
    assert result.exit_code != 0
    assert "no such file" in result.output


# The compiled row parser (app/spotify_csv/row_parser.py) against the reference parser, records.parse_row.

TRACKS_HEADER = [
    "track_no",
    "track_id",
    "artists",
    "album_name",
    "track_name",
    "popularity",
    "explicit",
    "danceability",
    "energy",
    "key",
    "loudness",
    "mode",
    "speechiness",
    "acousticness",
    "instrumentalness",
    "liveness",
    "valence",
    "tempo",
    "time_signature",
    "track_genre",
    "duration_min_sec",
]
TRACKS_ROW = [
    "1",
    "6KwkVtXm8OUp2XffN5k7lY",
    "Hillsong Worship;Other",
    "No Other Name",
    "No Other Name",
    "50",
    "FALSE",
    "0.369",
    "0.598",
    "7",
    "-6.984",
    "1",
    "0.0304",
    "0.00511",
    "0",
    "0.176",
    "0.0466",
    "148.014",
    "4",
    "world-music",
    "07:20",
]
# Cells that each parser treats specially: blanks of spaces, decimal commas, NaN, out of range, odd
# spellings of dates, keys, lengths, flags and emotions.
TRICKY_CELLS = [
    "",
    "   ",
    "\u00a0",
    "\t7\t",
    "1,5",
    "0,25",
    " 0.5 ",
    "nan",
    "NaN",
    "inf",
    "-inf",
    "1e2",
    "1_0",
    "-1",
    "0",
    "1",
    "1.0",
    "0.0",
    "100",
    "101",
    "400.5",
    "abc",
    "03:47",
    "3:61",
    "1:02:03",
    "7:20",
    "12",
    "Yes",
    "no",
    "TRUE",
    "maybe",
    "D min",
    "C# Maj",
    "Bb",
    "H",
    "E#",
    "4/4",
    "0/4",
    "17",
    "29th April 2013",
    "31st February 2020",
    "2013",
    "March 2013",
    "2020-02-30",
    "2020-02",
    "1799",
    "-6.85db",
    "+5 dB",
    "-101db",
    "joy",
    " JOY ",
    "happy",
    "Rock, Pop",
    "a;b;;a",
    "x" * 300,
    "Line\nbreak",
]


def both_parsers(schema, header):
    """parse(cells) -> (the compiled parser's outcome, the reference's): a record or ("error", reason)."""
    from app.spotify_csv.records import Row, header_index, parse_row
    from app.spotify_csv.row_parser import RowParser

    compiled = RowParser(schema, header)  # one for every row, as in a file: its memos carry over

    def outcome(parse):
        try:
            return parse()
        except ValueError as exc:
            return ("error", str(exc))

    def parse(cells):
        return (
            outcome(lambda: compiled.parse(list(cells))),
            outcome(lambda: parse_row(schema, Row(header_index(header), list(cells)))),
        )

    return parse


def test_row_parser_matches_the_reference_on_every_demo_row():
    with open(DEMO_CATALOG, newline="", encoding="utf-8") as src:
        header, *rows = list(csv.reader(src))
    parse = both_parsers("lyrics_emotion", header)
    for cells in rows:
        fast, reference = parse(cells)
        assert fast == reference
    assert isinstance(fast, dict) and fast["row_hash"]


def base_row(schema):
    """The header and a good row of a schema, the lyrics row with one similar song."""
    header = list(LYRICS_HEADER) if schema == "lyrics_emotion" else TRACKS_HEADER
    base = good_row("Base Song") if schema == "lyrics_emotion" else TRACKS_ROW
    base = base[:]
    if schema == "lyrics_emotion":
        base[header.index("Similar Artist 1")], base[header.index("Similar Song 1")] = "Other", "Song"
        base[header.index("Similarity Score 1")] = "0.98"
    return header, base


def mutated_rows(header, base, count):
    """`count` copies of the base row with one to three cells replaced by TRICKY_CELLS."""
    import random

    rng = random.Random(7)
    for _ in range(count):
        cells = base[:]
        for position in rng.sample(range(len(header)), rng.choice((1, 1, 2, 3))):
            cells[position] = rng.choice(TRICKY_CELLS)
        yield cells


@pytest.mark.parametrize("schema", ["lyrics_emotion", "tracks"])
def test_row_parser_matches_the_reference_on_mutated_rows(schema):
    header, base = base_row(schema)
    parse = both_parsers(schema, header)
    outcomes = set()
    for cells in mutated_rows(header, base, 3000):
        fast, reference = parse(cells)
        assert fast == reference, cells
        outcomes.add("error" if isinstance(fast, tuple) else "record")
    assert outcomes == {"error", "record"}
    # A file without some optional columns reads them as blank, in both parsers.
    fast, reference = both_parsers(schema, header[:-3])(base[:-3])
    assert fast == reference and isinstance(fast, dict)


def conforms(value, hint):
    """Whether a value has the type a SongRecord field declares (a bool is no int here)."""
    if typing.get_origin(hint) is types.UnionType:
        return any(conforms(value, arg) for arg in typing.get_args(hint))
    if typing.get_origin(hint) is list:
        return isinstance(value, list) and all(conforms(item, typing.get_args(hint)[0]) for item in value)
    if typing.is_typeddict(hint):
        fields = typing.get_type_hints(hint)
        return (
            isinstance(value, dict)
            and value.keys() == fields.keys()
            and all(conforms(value[name], field) for name, field in fields.items())
        )
    return type(value) is hint


@pytest.mark.parametrize("schema", ["lyrics_emotion", "tracks"])
def test_records_have_the_keys_and_types_song_record_declares(schema):
    # mypy trusts SongRecord where the parsers build their dicts by column name; this checks it.
    from app.spotify_csv.records import SongRecord

    fields = typing.get_type_hints(SongRecord)
    assert set(fields) <= {column.name for column in Song.__table__.columns}
    header, base = base_row(schema)
    parse = both_parsers(schema, header)
    rows = [base, [""] * len(base), *mutated_rows(header, base, 500)]
    if schema == "lyrics_emotion":
        with open(DEMO_CATALOG, newline="", encoding="utf-8") as src:
            demo_header, *demo = list(csv.reader(src))
        assert demo_header == header
        rows += demo[:500]
    checked = set()
    for cells in rows:
        for record in parse(cells):
            if isinstance(record, dict):
                assert conforms(record, SongRecord), [
                    (name, record[name]) for name in fields if not conforms(record[name], fields[name])
                ]
                checked.update(name for name, value in record.items() if value not in (None, []))
    # Every field was seen with a value, not only as None, but those the schema lacks.
    if schema == "tracks":
        absent = {"lyrics", "emotion", "release_date", "release_year", "similar_songs", *FLAG_COLUMNS}
    else:
        absent = {"source_track_id"}
    assert checked == set(fields) - absent


def test_errors_are_reported_in_file_order_across_batches(app, tmp_path):
    rows = [
        good_row("Bad One", Energy="lots"),  # line 2: parse error
        good_row("Song 1"),  # line 3
        good_row("Song 3"),  # line 4: refused by the database
        good_row("Bad Two", Tempo="fast"),  # line 5: parse error, in the next batch
        good_row("Song 5"),  # line 6
        good_row("Song 3"),  # line 7: refused again
    ]
    path = write_csv(tmp_path / "songs.csv", rows)
    with app.app_context():
        refuse_song_3()
        reported = []
        summary = import_spotify_csv(path, batch_size=2, on_error=reported.append)
        assert [e.line for e in reported] == [2, 4, 5, 7]
        assert reported == summary.errors
        assert (summary.read, summary.inserted, summary.skipped) == (6, 2, 4)


def test_row_hash_keeps_the_format_stored_hashes_were_made_with():
    import hashlib
    import json

    from app.spotify_csv.records import HASH_VERSION, legacy_record_hash, record_hash

    with open(DEMO_CATALOG, newline="", encoding="utf-8") as src:
        header, *rows = list(csv.reader(src))
    parse = both_parsers("lyrics_emotion", header)
    digests = set()
    for cells in rows[:200]:
        record, _ = parse(cells)
        content = {k: v for k, v in record.items() if k != "row_hash"}
        # Songs imported before HASH_VERSION hold this digest: an import recognises them by it.
        stored = json.dumps(content, sort_keys=True, default=str, ensure_ascii=False)
        assert legacy_record_hash(content) == hashlib.sha1(stored.encode("utf-8")).hexdigest()
        assert record["row_hash"] == record_hash(content) and record["row_hash"].startswith(HASH_VERSION)
        assert len(record["row_hash"]) == 40  # the column's width
        digests.add(record["row_hash"])
    assert len(digests) == 200
    # The digest follows the content, whatever the order of the keys or the identity of the values.
    shuffled = dict(reversed([(k, "".join(v) if isinstance(v, str) else v) for k, v in content.items()]))
    assert record_hash(shuffled) == record["row_hash"]
    assert record_hash({**content, "tempo": (content["tempo"] or 0) + 0.001}) != record["row_hash"]
    assert record_hash({**content, "explicit": 1 if content["explicit"] else 0}) != record["row_hash"]


def test_songs_stored_with_the_legacy_digest_stay_unchanged_and_get_the_current_one(app, tmp_path):
    from app.spotify_csv.reader import SpotifyCsv
    from app.spotify_csv.records import HASH_VERSION, legacy_record_hash

    path = write_csv(tmp_path / "songs.csv", [good_row(f"Song {i}") for i in range(4)])
    with app.app_context():
        import_spotify_csv(path)
        # The songs as an import before HASH_VERSION left them: the legacy digest of each record.
        with SpotifyCsv(path) as source, db.engine.begin() as conn:
            for item in source:
                content = {k: v for k, v in item.record.items() if k != "row_hash"}
                conn.execute(
                    sa.update(Song)
                    .where(Song.natural_key == content["natural_key"])
                    .values(row_hash=legacy_record_hash(content))
                )
        stamps = dict(db.session.execute(sa.select(Song.title, Song.updated_at)).all())
        db.session.rollback()
        changed = write_csv(
            tmp_path / "changed.csv",
            [good_row(f"Song {i}", **({"Popularity": "99"} if i == 1 else {})) for i in range(4)],
        )
        summary = import_spotify_csv(changed)
        assert (summary.inserted, summary.updated, summary.unchanged) == (0, 1, 3)
        songs = db.session.scalars(sa.select(Song).order_by(Song.id)).all()
        assert all(song.row_hash.startswith(HASH_VERSION) for song in songs)
        assert [song.updated_at == stamps[song.title] for song in songs] == [True, False, True, True]
        assert songs[1].popularity == 99
        db.session.rollback()
        again = import_spotify_csv(changed)
        assert (again.inserted, again.updated, again.unchanged) == (0, 0, 4)


def test_the_import_gives_its_sqlite_connection_back_as_it_came(app):
    from app.services.catalog.writer import SQLITE_IMPORT_PRAGMAS, BatchWriter

    with app.app_context(), db.engine.connect() as conn:
        if conn.dialect.name != "sqlite":
            pytest.skip("the import changes SQLite settings only")

        def settings():
            return {name: conn.exec_driver_sql(f"PRAGMA {name}").scalar() for name in SQLITE_IMPORT_PRAGMAS}

        before = settings()
        writer = BatchWriter(conn)
        assert settings() == SQLITE_IMPORT_PRAGMAS != before
        writer.close()
        assert settings() == before


def test_seed_embeddings_reports_progress_off_a_terminal_counting_only_what_is_left(app, runner, demo_songs):
    # CliRunner's stderr is not a terminal: no bar, plain progress lines instead (the last at 100%).
    first = runner.invoke(args=["seed", "embeddings"])
    assert first.exit_code == 0, first.output
    total = demo_songs.inserted
    assert f"Embedding songs: {total:,} of {total:,} (100%)" in first.output
    with app.app_context():
        for song in db.session.scalars(sa.select(Song).order_by(Song.id).limit(2)):
            song.title += " (Live)"
        db.session.commit()
    again = runner.invoke(args=["seed", "embeddings"])
    # A rerun counts, and times, only the two songs whose text changed: not the skipped ones.
    assert "Embedding songs: 2 of 2 (100%)" in again.output
    assert f"embedded 2 · written from cache 0 · unchanged {total - 2}" in again.output


def test_seed_embeddings_on_a_missing_gpu_is_a_clear_error(runner, demo_songs, monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    result = runner.invoke(args=["seed", "embeddings", "--device", "cuda"])
    assert result.exit_code != 0
    assert "sees no CUDA GPU here" in result.output and "Traceback" not in result.output

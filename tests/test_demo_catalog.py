"""Tests for the demo catalog generator: determinism, the CSV schema and formats, and realism."""

import calendar
import csv
import datetime as dt
import math
import re
import statistics
from collections import Counter, defaultdict
from itertools import combinations
from pathlib import Path

import pytest

from app.spotify_csv import demo, demo_words
from app.spotify_csv.demo import THRESHOLDS, activity_flags, generate_demo_catalog
from app.spotify_csv.demo_text import ordinal
from app.spotify_csv.schemas import LYRICS_HEADER
from app.spotify_csv.vocab import ACTIVITY_FLAGS, EMOTIONS

SHIPPED = Path(__file__).resolve().parent.parent / "data" / "demo_songs.csv"
FLAGS = [header for _, header in ACTIVITY_FLAGS.values()]
FEATURES = [
    "Popularity",
    "Energy",
    "Danceability",
    "Positiveness",
    "Speechiness",
    "Liveness",
    "Acousticness",
    "Instrumentalness",
]
MONTHS = "|".join(calendar.month_name[1:])
DATE = re.compile(rf"^(\d{{1,2}})(st|nd|rd|th) ({MONTHS}) (\d{{4}})$")
KEY = re.compile(r"^(C|C#|D|D#|E|F|F#|G|G#|A|A#|B) (Maj|min)$")


def read_rows(path):
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def genre(row):
    return row["Genre"].split(",")[0]


def main_artist(row):
    return row["Artist(s)"].split(",")[0]


def tokens(text):
    return re.findall(r"[a-z']+", text.lower())


def mean_of(rows, column, **where):
    values = [
        float(r[column].removesuffix("db"))
        for r in rows
        if all((genre(r) if k == "genre" else r[k]) == v for k, v in where.items())
    ]
    assert values, f"no rows match {where}"
    return statistics.mean(values)


@pytest.fixture(scope="module")
def full_csv(tmp_path_factory):
    return generate_demo_catalog(tmp_path_factory.mktemp("demo") / "demo_songs.csv")


@pytest.fixture(scope="module")
def rows(full_csv):
    return read_rows(full_csv)


def test_same_seed_gives_byte_identical_file(tmp_path):
    first = generate_demo_catalog(tmp_path / "a.csv", count=150, seed=7).read_bytes()
    second = generate_demo_catalog(tmp_path / "b.csv", count=150, seed=7).read_bytes()
    assert first == second
    assert first.count(b"\n") > 150


def test_different_seed_gives_different_file(tmp_path):
    first = generate_demo_catalog(tmp_path / "a.csv", count=150, seed=7).read_bytes()
    second = generate_demo_catalog(tmp_path / "b.csv", count=150, seed=8).read_bytes()
    assert first != second


def test_shipped_file_is_exactly_the_default_output(full_csv):
    assert SHIPPED.exists(), "run python -m app.spotify_csv.demo to write data/demo_songs.csv"
    assert SHIPPED.read_bytes() == full_csv.read_bytes()


def test_header_and_line_endings(full_csv):
    raw = full_csv.read_bytes()
    assert b"\r\n" not in raw
    assert raw.endswith(b"\n")
    with open(full_csv, encoding="utf-8", newline="") as handle:
        assert tuple(next(csv.reader(handle))) == LYRICS_HEADER


@pytest.mark.parametrize("count", [10, 57])
def test_count_is_exact(tmp_path, count):
    assert len(read_rows(generate_demo_catalog(tmp_path / "s.csv", count=count, seed=3))) == count


@pytest.mark.parametrize("seed", range(12))
def test_small_catalogs_still_have_three_similar_songs_by_other_artists(seed):
    songs = demo.build_catalog(count=demo.MIN_COUNT, seed=seed)
    titles = {(s["Artist(s)"], s["song"]) for s in songs}
    for song in songs:
        for n in (1, 2, 3):
            assert (song[f"Similar Artist {n}"], song[f"Similar Song {n}"]) in titles
            assert song[f"Similar Artist {n}"].split(",")[0] != main_artist(song)


def test_too_small_count_is_refused(tmp_path):
    with pytest.raises(ValueError):
        generate_demo_catalog(tmp_path / "s.csv", count=demo.MIN_COUNT - 1)


def test_command_line_writes_the_requested_catalog(tmp_path, capsys):
    out = tmp_path / "cli.csv"
    assert demo.main(["--out", str(out), "--count", "40", "--seed", "5"]) == 0
    assert "40" in capsys.readouterr().out
    expected = generate_demo_catalog(tmp_path / "api.csv", count=40, seed=5)
    assert out.read_bytes() == expected.read_bytes()


def test_ordinal_suffixes():
    expected = {
        1: "1st",
        2: "2nd",
        3: "3rd",
        4: "4th",
        11: "11th",
        12: "12th",
        13: "13th",
        21: "21st",
        22: "22nd",
        23: "23rd",
        24: "24th",
        30: "30th",
        31: "31st",
    }
    assert {day: ordinal(day) for day in expected} == expected


def test_genres_and_emotions_cover_the_vocabulary(rows):
    assert len(rows) == demo.DEFAULT_COUNT
    assert len({genre(r) for r in rows}) >= 12
    shares = {e: n / len(rows) for e, n in Counter(r["emotion"] for r in rows).items()}
    assert set(shares) == set(EMOTIONS)
    assert min(shares.values()) >= 0.05
    assert max(shares.values()) > 1.5 * min(shares.values())  # skewed, like real listening


def test_every_value_has_its_format(rows):
    for row in rows:
        assert None not in row and None not in row.values(), row
        assert row["emotion"] in EMOTIONS
        primary, *subs = row["Genre"].split(",")
        assert primary in demo.GENRES and set(subs) <= set(demo_words.SUBGENRES[primary])
        assert 60 <= len(row["text"].split()) <= 250
        assert re.fullmatch(r"\d{2}:[0-5]\d", row["Length"])
        day, suffix, month, year = DATE.fullmatch(row["Release Date"]).groups()
        # dt.date raises on an impossible day such as 30th February.
        dt.date(int(year), list(calendar.month_name).index(month), int(day))
        assert ordinal(int(day)).endswith(suffix) and 1965 <= int(year) <= 2025
        assert KEY.fullmatch(row["Key"])
        assert row["Tempo"].isdigit() and 40 <= int(row["Tempo"]) <= 220
        assert re.fullmatch(r"-\d{1,2}\.\d{2}db", row["Loudness (db)"])
        assert row["Time signature"] in ("4/4", "3/4", "5/4")
        assert row["Explicit"] in ("Yes", "No")
        for column in FEATURES:
            assert row[column].isdigit() and 0 <= int(row[column]) <= 100, (column, row[column])
        assert all(row[flag] in ("0", "1") for flag in FLAGS)
        scores = [row[f"Similarity Score {n}"] for n in (1, 2, 3)]
        assert all(re.fullmatch(r"0\.9\d{6,}|1\.0", s) for s in scores), scores
        assert [float(s) for s in scores] == sorted(map(float, scores), reverse=True)
        assert all(0.9 < float(s) <= 1.0 for s in scores)


def test_time_signatures_are_mostly_common_time(rows):
    counts = Counter(r["Time signature"] for r in rows)
    assert counts["4/4"] / len(rows) > 0.85
    assert 0 < counts["5/4"] < counts["3/4"]


def test_artists_albums_and_titles(rows):
    keys = [(main_artist(r).casefold(), r["song"].casefold(), r["Album"].casefold()) for r in rows]
    assert len(set(keys)) == len(rows)
    album_dates, artist_albums = defaultdict(set), defaultdict(set)
    artist_genres = defaultdict(set)
    for row in rows:
        album_dates[main_artist(row), row["Album"]].add(row["Release Date"])
        artist_albums[main_artist(row)].add(row["Album"])
        artist_genres[main_artist(row)].add(row["Genre"])
    assert all(len(dates) == 1 for dates in album_dates.values())
    assert all(1 <= len(albums) <= 4 for albums in artist_albums.values())
    assert all(len(tags) == 1 for tags in artist_genres.values())  # one home genre per artist
    assert 200 <= len(artist_albums) <= 300
    sizes = Counter((main_artist(r), r["Album"]) for r in rows).values()
    assert statistics.mean(sizes) >= 3


def test_featured_artists_and_subgenres(rows):
    known = {main_artist(r): genre(r) for r in rows}
    featured = [r for r in rows if "," in r["Artist(s)"]]
    assert 0.02 < len(featured) / len(rows) < 0.15
    for row in featured:
        lead, guest = row["Artist(s)"].split(",")
        assert guest != lead and known.get(guest) == genre(row)
    assert 0.2 < sum("," in r["Genre"] for r in rows) / len(rows) < 0.8


def test_features_are_genre_typical(rows):
    assert mean_of(rows, "Energy", genre="metal") > mean_of(rows, "Energy", genre="ambient") + 40
    assert mean_of(rows, "Energy", genre="metal") > mean_of(rows, "Energy", genre="folk") + 30
    assert mean_of(rows, "Acousticness", genre="classical") > mean_of(rows, "Acousticness", genre="rock") + 50
    assert (
        mean_of(rows, "Instrumentalness", genre="ambient")
        > mean_of(rows, "Instrumentalness", genre="pop") + 40
    )
    assert mean_of(rows, "Speechiness", genre="hip hop") > 2 * mean_of(rows, "Speechiness", genre="country")
    assert mean_of(rows, "Tempo", genre="metal") > mean_of(rows, "Tempo", genre="reggae") + 30
    assert (
        mean_of(rows, "Danceability", genre="latin") > mean_of(rows, "Danceability", genre="classical") + 30
    )
    assert (
        mean_of(rows, "Loudness (db)", genre="metal") > mean_of(rows, "Loudness (db)", genre="classical") + 8
    )

    def minutes(g):
        return statistics.mean(
            int(r["Length"][:2]) + int(r["Length"][3:]) / 60 for r in rows if genre(r) == g
        )

    assert minutes("classical") > minutes("pop") + 1

    def explicit(g):
        return statistics.mean(r["Explicit"] == "Yes" for r in rows if genre(r) == g)

    assert explicit("hip hop") > explicit("country") + 0.3


def test_positiveness_follows_emotion(rows):
    assert (
        mean_of(rows, "Positiveness", emotion="joy") > mean_of(rows, "Positiveness", emotion="sadness") + 25
    )
    assert mean_of(rows, "Positiveness", emotion="love") > mean_of(rows, "Positiveness", emotion="fear") + 20


def test_flags_follow_the_documented_rules(rows):
    for row in rows:
        expected = {f: str(int(on)) for f, on in activity_flags(row).items()}
        assert {f: row[f] for f in FLAGS} == expected
    for flag in FLAGS:
        share = sum(r[flag] == "1" for r in rows) / len(rows)
        assert 0.08 <= share <= 0.40, (flag, share)


def test_flagged_songs_clear_their_thresholds(rows):
    def flagged(tag):
        return [r for r in rows if r[ACTIVITY_FLAGS[tag][1]] == "1"]

    th = THRESHOLDS
    assert all(
        int(r["Danceability"]) >= th["party_dance"] and int(r["Energy"]) >= th["party_energy"]
        for r in flagged("party")
    )
    assert all(
        int(r["Energy"]) >= th["exercise_energy"] and int(r["Tempo"]) >= th["exercise_tempo"]
        for r in flagged("exercise")
    )
    assert all(
        int(r["Energy"]) <= th["relax_energy_max"] and int(r["Acousticness"]) >= th["relax_acoustic"]
        for r in flagged("relaxation")
    )
    assert all(int(r["Speechiness"]) <= th["study_speech_max"] for r in flagged("study"))
    # The thresholds themselves must mean what the flag names say.
    quiet = [r for r in rows if r[ACTIVITY_FLAGS["party"][1]] == "0"]
    assert mean_of(flagged("party"), "Energy") > mean_of(quiet, "Energy") + 15
    assert mean_of(flagged("yoga"), "Energy") < mean_of(rows, "Energy") - 20
    assert mean_of(flagged("running"), "Tempo") > mean_of(rows, "Tempo") + 20


def test_word_lists_keep_emotions_and_genres_apart():
    emotion_sets = {
        e: {w for ws in parts.values() for w in ws} for e, parts in demo_words.EMOTION_WORDS.items()
    }
    assert set(emotion_sets) == set(EMOTIONS)
    genre_words = {w for nouns, verbs in demo_words.GENRE_WORDS.values() for w in nouns + verbs}
    filler = {w.lower() for ws in demo_words.FILLER.values() for w in ws}
    for template in demo_words.VERSE_TEMPLATES + demo_words.CHORUS_TEMPLATES:
        filler.update(tokens(re.sub(r"\{\w+\}", " ", template)))
    assert {"feel", "calls", "every"} <= filler  # the fixed words of the templates are covered
    for (a, wa), (b, wb) in combinations(emotion_sets.items(), 2):
        assert not wa & wb, (a, b, wa & wb)
    for e, ws in emotion_sets.items():
        assert not ws & (genre_words | filler), (e, ws & (genre_words | filler))


def _share(words, vocabulary):
    return sum(w in vocabulary for w in words) / len(words)


def test_lyrics_use_their_emotion_and_genre_words(rows):
    emotion_sets = {
        e: {w for ws in parts.values() for w in ws} for e, parts in demo_words.EMOTION_WORDS.items()
    }
    genre_sets = {g: set(nouns + verbs) for g, (nouns, verbs) in demo_words.GENRE_WORDS.items()}
    own_shares = []
    for row in rows:
        words = tokens(row["text"])
        own = _share(words, emotion_sets[row["emotion"]])
        own_shares.append(own)
        assert own >= 0.05, (row["song"], own)
        assert all(own >= 3 * _share(words, ws) for e, ws in emotion_sets.items() if e != row["emotion"])
        own_genre = _share(words, genre_sets[genre(row)])
        assert own_genre >= 0.05 and all(
            own_genre >= 3 * _share(words, ws) for g, ws in genre_sets.items() if g != genre(row)
        )
    assert statistics.median(own_shares) >= 0.15


def test_lyrics_repeat_a_chorus_with_the_title(rows):
    assert all(r["song"].lower() in r["text"].lower() for r in rows)
    repeated = sum(r["text"].lower().count(r["song"].lower()) >= 2 for r in rows)
    assert repeated / len(rows) > 0.9


def test_lyrics_cluster_by_genre_and_emotion(rows):
    # TF-IDF cosine stands in for sentence embeddings: shared genre and emotion words should
    # pull songs together, while the common filler (weighted down by IDF) should not.
    sample = rows[:300]
    counts = [Counter(tokens(r["text"])) for r in sample]
    document_frequency = Counter(w for c in counts for w in c)
    idf = {w: math.log(len(sample) / n) for w, n in document_frequency.items()}
    vectors = [{w: n * idf[w] for w, n in c.items()} for c in counts]
    norms = [math.sqrt(sum(x * x for x in v.values())) for v in vectors]
    groups = defaultdict(list)
    for i, j in combinations(range(len(sample)), 2):
        a, b = sample[i], sample[j]
        dot = sum(x * vectors[j].get(w, 0.0) for w, x in vectors[i].items())
        groups[genre(a) == genre(b), a["emotion"] == b["emotion"]].append(dot / (norms[i] * norms[j]))
    assert len(groups[True, True]) > 50
    both, genre_only, emotion_only, neither = (
        statistics.mean(groups[key]) for key in ((True, True), (True, False), (False, True), (False, False))
    )
    assert both > genre_only > emotion_only > neither
    assert both > 5 * neither and genre_only > 3 * neither and emotion_only > 2 * neither


def test_similar_songs_exist_and_prefer_the_same_genre_and_emotion(rows):
    by_key = {(r["Artist(s)"], r["song"]): r for r in rows}
    same_genre = same_emotion = total = 0
    for row in rows:
        for n in (1, 2, 3):
            other = by_key.get((row[f"Similar Artist {n}"], row[f"Similar Song {n}"]))
            assert other is not None and other is not row
            assert main_artist(other) != main_artist(row)
            total += 1
            same_genre += genre(other) == genre(row)
            same_emotion += other["emotion"] == row["emotion"]
    assert same_genre / total > 0.9 and same_emotion / total > 0.7

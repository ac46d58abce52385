"""Deterministic generator of a synthetic demo catalog in the Kaggle lyrics+emotion CSV schema.

The songs are built here (artists, albums, features, activity flags, similar songs) and written as
CSV; their text (names, titles, dates, lyrics) comes from demo_text.py.
"""

import argparse
import calendar
import csv
import os
import random
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TypedDict

from . import demo_words as words
from .demo_text import artist_name, lyrics, ordinal, unique, word_pools
from .demo_words import EMOTION_BIAS, EMOTION_SHIFT, EMOTION_WEIGHTS, GENRES, PROFILES, Profile
from .schemas import LYRICS_HEADER
from .vocab import ACTIVITY_FLAGS, EMOTIONS

DEFAULT_OUT = Path(__file__).resolve().parents[2] / "data" / "demo_songs.csv"
DEFAULT_COUNT = 2000
DEFAULT_SEED = 20261127
MIN_COUNT = 10  # three distinct similar songs per row need a few other artists
LAST_YEAR = 2025
PITCHES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")

# Activity rules on the 0-100 features and BPM (every bound is inclusive):
#   party: danceability and energy high        study: instrumental or acoustic, and little speech
#   relaxation: calm and acoustic              exercise / running: energetic and fast
#   yoga: calm and slow                        driving: mid-high energy, upbeat
#   social: danceable and upbeat               morning: upbeat with moderate energy
THRESHOLDS = {
    "party_dance": 70,
    "party_energy": 70,
    "study_instrumental": 50,
    "study_acoustic": 70,
    "study_speech_max": 8,
    "relax_energy_max": 40,
    "relax_acoustic": 55,
    "exercise_energy": 75,
    "exercise_tempo": 120,
    "running_energy": 70,
    "running_tempo": 135,
    "yoga_energy_max": 40,
    "yoga_tempo_max": 105,
    "drive_energy": 55,
    "drive_energy_max": 90,
    "drive_pos": 55,
    "social_dance": 65,
    "social_pos": 60,
    "morning_pos": 60,
    "morning_energy": 40,
    "morning_energy_max": 75,
}

# A demo song: CSV column (and, while building, "main" and "genre") -> text or a 0-100 number.
Cell = str | int
DemoSong = dict[str, Cell]


class _Artist(TypedDict):
    name: str
    genre: str
    tag: str  # the Genre cell: the genre, then any subgenres
    fame: float  # shifts the popularity of every song of theirs
    titles: set[str]
    albums: set[str]


class _Album(TypedDict):
    mood: str
    date: str
    name: str


def activity_flags(song: Mapping[str, str | float]) -> dict[str, bool]:
    """Return {"Good for ...": bool} for a song's features (numbers or numeric strings)."""
    e, d, p, s, a, i, t = (
        int(song[k])
        for k in (
            "Energy",
            "Danceability",
            "Positiveness",
            "Speechiness",
            "Acousticness",
            "Instrumentalness",
            "Tempo",
        )
    )
    th = THRESHOLDS
    rules = {
        "party": d >= th["party_dance"] and e >= th["party_energy"],
        "study": (i >= th["study_instrumental"] or a >= th["study_acoustic"]) and s <= th["study_speech_max"],
        "relaxation": e <= th["relax_energy_max"] and a >= th["relax_acoustic"],
        "exercise": e >= th["exercise_energy"] and t >= th["exercise_tempo"],
        "running": e >= th["running_energy"] and t >= th["running_tempo"],
        "yoga": e <= th["yoga_energy_max"] and t <= th["yoga_tempo_max"],
        "driving": th["drive_energy"] <= e <= th["drive_energy_max"] and p >= th["drive_pos"],
        "social": d >= th["social_dance"] and p >= th["social_pos"],
        "morning": p >= th["morning_pos"] and th["morning_energy"] <= e <= th["morning_energy_max"],
    }
    return {header: rules[tag] for tag, (_, header) in ACTIVITY_FLAGS.items()}


def _level(rng: random.Random, mean: float, sd: float) -> int:
    return max(0, min(100, round(rng.gauss(mean, sd))))


def _pick_emotion(rng: random.Random, genre: str) -> str:
    bias = EMOTION_BIAS.get(genre, {})
    weights = [EMOTION_WEIGHTS[e] * bias.get(e, 1) for e in EMOTIONS]
    return rng.choices(EMOTIONS, weights)[0]


def _artist(rng: random.Random, genre: str, used_names: set[str]) -> _Artist:
    name = artist_name(rng, genre, used_names)
    subs = rng.sample(words.SUBGENRES[genre], rng.choices([0, 1, 2], [50, 35, 15])[0])
    return {
        "name": name,
        "genre": genre,
        "tag": ",".join([genre, *subs]),
        "fame": rng.gauss(0, 12),
        "titles": set(),
        "albums": set(),
    }


def _album_sizes(rng: random.Random, remaining: int) -> list[int]:
    """Songs per album for one artist (1-4 albums of 2-5), cut to fit the songs still needed."""
    sizes: list[int] = []
    total = 0
    for size in (rng.randint(2, 5) for _ in range(rng.randint(1, 4))):
        size = min(size, remaining - total)
        if size <= 0:
            break
        sizes.append(size)
        total += size
    if len(sizes) > 1 and sizes[-1] == 1:  # no one-song album from the cut
        last = sizes.pop()
        sizes[-1] += last
    return sizes


def _song(rng: random.Random, artist: _Artist, album: _Album) -> DemoSong:
    genre, prof = artist["genre"], PROFILES[artist["genre"]]
    emotion = album["mood"] if rng.random() < 0.55 else _pick_emotion(rng, genre)
    title = unique(rng, words.TITLE_TEMPLATES, word_pools(genre, emotion), artist["titles"])
    de, dd, dp = EMOTION_SHIFT[emotion]
    energy = _level(rng, prof.energy + de, 11)
    lift = energy - prof.energy  # louder, faster, less acoustic when a song runs hot
    seconds = max(95, min(1500, round(rng.gauss(prof.seconds, prof.seconds * 0.18))))
    minor_share = 0.55 if emotion in ("sadness", "fear") else 0.35
    beat = rng.random()
    explicit = prof.explicit + (0.15 if emotion == "anger" else 0)
    song: DemoSong = {
        "Artist(s)": artist["name"],
        "song": title,
        "text": lyrics(rng, genre, emotion, title, rng.randint(*prof.lyric)),
        "Length": f"{seconds // 60:02d}:{seconds % 60:02d}",
        "emotion": emotion,
        "Genre": artist["tag"],
        "Album": album["name"],
        "Release Date": album["date"],
        "Key": f"{rng.choice(PITCHES)} {'min' if rng.random() < minor_share else 'Maj'}",
        "Tempo": max(50, min(210, round(rng.gauss(prof.tempo[0] + 0.3 * lift, prof.tempo[1])))),
        "Loudness (db)": f"{_loudness(rng, prof, lift):.2f}db",
        "Time signature": "3/4" if beat < prof.waltz else "5/4" if beat > 0.99 else "4/4",
        "Explicit": "Yes" if rng.random() < explicit else "No",
        "Popularity": _level(rng, prof.popular + artist["fame"], 10),
        "Energy": energy,
        "Danceability": _level(rng, prof.dance + dd, 10),
        "Positiveness": _level(rng, prof.pos + dp, 12),
        "Speechiness": _level(rng, prof.speech, 2 + 0.35 * prof.speech),
        "Liveness": _level(rng, prof.live, 4 + 0.4 * prof.live),
        "Acousticness": _level(rng, prof.acoustic - 0.3 * lift, 6 + 0.1 * prof.acoustic),
        "Instrumentalness": _level(rng, prof.instr, 3 + 0.3 * prof.instr),
    }
    song.update({k: int(v) for k, v in activity_flags(song).items()})
    return song


def _add_features(rng: random.Random, songs: list[DemoSong], artists: Sequence[_Artist]) -> None:
    """Credit a guest from the same genre on a few songs, as "Main,Guest"."""
    by_genre: dict[Cell, list[str]] = {g: [a["name"] for a in artists if a["genre"] == g] for g in GENRES}
    for song in songs:
        peers = [n for n in by_genre[song["genre"]] if n != song["main"]]
        if peers and rng.random() < 0.07:
            song["Artist(s)"] = f"{song['Artist(s)']},{rng.choice(peers)}"


def _add_similar(rng: random.Random, songs: list[DemoSong]) -> None:
    """Pick three other songs per song, same genre and emotion first, with descending scores."""
    by_mood: dict[tuple[Cell, Cell], list[int]] = {}
    by_genre: dict[Cell, list[int]] = {}
    for index, song in enumerate(songs):
        by_mood.setdefault((song["genre"], song["emotion"]), []).append(index)
        by_genre.setdefault(song["genre"], []).append(index)
    everyone = range(len(songs))
    # A closer match earns a higher score band; scores stay in (0.9, 1.0].
    bands = ((0.95, 1.0), (0.92, 0.97), (0.9, 0.94))
    for song in songs:
        picked: list[tuple[int, float]] = []  # (index, score)
        for band, pool in zip(
            bands, (by_mood[song["genre"], song["emotion"]], by_genre[song["genre"]], everyone)
        ):
            if len(picked) == 3:
                break
            taken = [j for j, _ in picked]
            others = [j for j in pool if songs[j]["main"] != song["main"] and j not in taken]
            for j in rng.sample(others, min(3 - len(picked), len(others))):
                low, high = band
                picked.append((j, high - (high - low) * rng.random()))
        picked.sort(key=lambda pair: -pair[1])
        for n, (j, score) in enumerate(picked, start=1):
            song[f"Similar Artist {n}"] = songs[j]["Artist(s)"]
            song[f"Similar Song {n}"] = songs[j]["song"]
            song[f"Similarity Score {n}"] = repr(score)


def build_catalog(count: int = DEFAULT_COUNT, seed: int = DEFAULT_SEED) -> list[DemoSong]:
    """Return the demo songs as dicts keyed by LYRICS_HEADER (same seed, same songs)."""
    if count < MIN_COUNT:
        raise ValueError(f"count must be at least {MIN_COUNT}")
    rng = random.Random(seed)
    artists: list[_Artist] = []
    songs: list[DemoSong] = []
    used_names: set[str] = set()
    while len(songs) < count:
        # The first artists cycle through every genre so small catalogs still cover them all.
        genre = (
            GENRES[len(artists)]
            if len(artists) < len(GENRES)
            else rng.choices(GENRES, [PROFILES[g].weight for g in GENRES])[0]
        )
        artist = _artist(rng, genre, used_names)
        artists.append(artist)
        year = rng.randint(*PROFILES[genre].era)
        # A cap per artist leaves small catalogs enough other artists to be "similar".
        budget = min(count - len(songs), max(2, count // 4))
        for size in _album_sizes(rng, budget):
            month = rng.randint(1, 12)
            day = rng.randint(1, calendar.monthrange(year, month)[1])
            mood = _pick_emotion(rng, genre)
            album: _Album = {
                "mood": mood,
                "date": f"{ordinal(day)} {calendar.month_name[month]} {year}",
                "name": unique(rng, words.ALBUM_TEMPLATES, word_pools(genre, mood), artist["albums"]),
            }
            for _ in range(size):
                song = _song(rng, artist, album)
                song.update(main=artist["name"], genre=genre)
                songs.append(song)
            year = min(LAST_YEAR, year + rng.randint(1, 4))
    _add_features(rng, songs, artists)
    _add_similar(rng, songs)
    rng.shuffle(songs)
    return [{column: song[column] for column in LYRICS_HEADER} for song in songs]


def generate_demo_catalog(
    path: str | os.PathLike[str], count: int = DEFAULT_COUNT, seed: int = DEFAULT_SEED
) -> Path:
    """Write a `count`-song demo catalog CSV to `path` and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(LYRICS_HEADER)
        for song in build_catalog(count, seed):
            writer.writerow([song[column] for column in LYRICS_HEADER])
    return path


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: python -m app.spotify_csv.demo [--out PATH] [--count N] [--seed N]."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="CSV file to write")
    parser.add_argument("--count", type=int, default=DEFAULT_COUNT, help="number of songs")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed")
    args = parser.parse_args(argv)
    path = generate_demo_catalog(args.out, args.count, args.seed)
    print(f"wrote {args.count} songs to {path}")
    return 0


def _loudness(rng: random.Random, prof: Profile, lift: float) -> float:
    """A song's loudness in dB: its genre's level, a little louder with energy, clipped to -35..-1."""
    return max(-35.0, min(-1.0, rng.gauss(prof.loud + 0.05 * lift, 1.2 + 0.1 * abs(prof.loud))))


if __name__ == "__main__":
    raise SystemExit(main())

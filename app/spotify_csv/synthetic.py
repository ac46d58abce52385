"""Synthetic users and listening activity that follow stated preferences (for demos and tests)."""

import datetime as dt
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TypedDict

from .vocab import ACTIVITY_FLAGS, ACTIVITY_TAGS, EMOTIONS

ACTIVITY_WINDOW = dt.timedelta(days=90)
MATCH_SHARE = 0.8  # the rest of a user's picks explore the whole catalog

# One planned event: (song id, kind, value (a rating's stars, else None), when).
Event = tuple[int, str, int | None, dt.datetime]


@dataclass(frozen=True)
class SongTraits:
    """What preference matching needs to know about a song."""

    id: int
    emotion: str | None
    genres: tuple[str, ...]
    flags: frozenset[str]  # activity tags the song is good for


@dataclass(frozen=True)
class Preferences:
    """A user's stated moods and tags."""

    emotions: tuple[str, ...]
    tags: tuple[str, ...]


class UserProfile(TypedDict):
    """A synthetic user's profile: User column values."""

    age: int
    bio: str
    emotions: list[str]
    tags: list[str]


def user_rng(seed: int, name: str) -> random.Random:
    """A generator private to one user, so adding users never changes another user's data."""
    return random.Random(f"{seed}:{name}")


def synthetic_profile(rng: random.Random, genres: Sequence[str]) -> UserProfile:
    """Random age, emotions, tags (activities and genres) and a bio that says them."""
    emotions = tuple(sorted(rng.sample(EMOTIONS, rng.choice((1, 1, 2)))))
    activities = rng.sample(ACTIVITY_TAGS, rng.choice((1, 1, 2)))
    liked_genres = rng.sample(sorted(genres), min(len(genres), rng.choice((1, 2, 2)))) if genres else []
    tags = tuple(activities + liked_genres)
    bio = (
        f"Into {' and '.join(liked_genres) or 'all kinds of music'}, "
        f"in the mood for {', '.join(emotions)}; music for {', '.join(activities)}."
    )
    return {"age": rng.randint(16, 70), "bio": bio, "emotions": list(emotions), "tags": list(tags)}


def match_strength(song: SongTraits, prefs: Preferences) -> int:
    """How many of the user's stated preferences a song meets (0 means none)."""
    strength = int(song.emotion in prefs.emotions)
    strength += sum(1 for tag in prefs.tags if tag in song.genres or tag in song.flags)
    return strength


def plan_activity(
    rng: random.Random, prefs: Preferences, songs: Sequence[SongTraits], count: int, now: dt.datetime
) -> list[Event]:
    """Events (song_id, kind, value, at) for `count` songs, most of them matching `prefs`."""
    strengths = [match_strength(song, prefs) for song in songs]
    matching = [(song, s) for song, s in zip(songs, strengths) if s > 0]
    picks = _pick(rng, matching, round(count * MATCH_SHARE)) if matching else []
    chosen = {song.id for song in picks}
    explore = [song for song in songs if song.id not in chosen]
    picks += rng.sample(explore, min(len(explore), count - len(picks)))
    events = []
    for song in picks:
        start = now - ACTIVITY_WINDOW * rng.random()
        fits = song.id in chosen
        events.extend(_song_events(rng, song.id, fits, start, now))
    events.sort(key=lambda event: event[3])
    return events


def _pick(rng: random.Random, weighted: Sequence[tuple[SongTraits, int]], count: int) -> list[SongTraits]:
    # Stronger matches are likelier, but weaker ones still appear: people don't only play one kind.
    songs = [song for song, _ in weighted]
    weights = [strength for _, strength in weighted]
    picked: list[SongTraits] = []
    seen: set[int] = set()
    for _ in range(8):
        for song in rng.choices(songs, weights=weights, k=count * 2):
            if song.id not in seen and len(picked) < count:
                seen.add(song.id)
                picked.append(song)
        if len(picked) >= count or len(seen) == len(songs):
            break
    return picked


def _song_events(
    rng: random.Random, song_id: int, fits: bool, start: dt.datetime, now: dt.datetime
) -> list[Event]:
    at = start
    events: list[Event] = []
    plays = rng.randint(1, 6) if fits else rng.randint(1, 2)
    for _ in range(plays):
        events.append((song_id, "play", None, at))
        at = min(now, at + dt.timedelta(hours=rng.uniform(1, 72)))
    after = min(now, start + dt.timedelta(minutes=rng.uniform(1, 10)))
    if fits:
        if rng.random() < 0.55:
            events.append((song_id, "like", None, after))
        if rng.random() < 0.35:
            events.append((song_id, "rate", rng.choice((3, 4, 4, 5, 5)), after))
        if rng.random() < 0.25:
            events.append((song_id, "bookmark", None, after))
    else:
        if rng.random() < 0.35:
            events.append((song_id, "dislike", None, after))
        elif rng.random() < 0.2:
            events.append((song_id, "rate", rng.choice((1, 2, 2, 3)), after))
        elif rng.random() < 0.1:
            events.append((song_id, "like", None, after))
    return events


def song_traits(
    song_id: int, emotion: str | None, genres: Iterable[str] | None, flag_values: Iterable[bool | None]
) -> SongTraits:
    """Build SongTraits from a song's columns; flag_values in ACTIVITY_FLAGS order."""
    flags = frozenset(tag for tag, value in zip(ACTIVITY_FLAGS, flag_values) if value)
    return SongTraits(song_id, emotion, tuple(genres or ()), flags)

"""The text of the demo catalog: artist names, titles, album names, dates and lyrics.

Split from demo.py, which builds the songs around these. The functions that draw take the
generator's one random.Random and are called in demo.py's order, so a seed still gives the same
catalog byte for byte (tests/test_demo_catalog.py checks the shipped file against it).
"""

import random
import re
from collections.abc import Sequence

from . import demo_words as words

Pools = dict[str, list[str]]  # template placeholder -> candidate words


def word_pools(genre: str, emotion: str) -> Pools:
    """Placeholder name -> candidate words, for one genre and emotion."""
    nouns, verbs = words.GENRE_WORDS[genre]
    emo = words.EMOTION_WORDS[emotion]
    return {"ea": emo["adj"], "en": emo["noun"], "ev": emo["verb"], "gn": nouns, "gv": verbs, **words.FILLER}


def fill(rng: random.Random, template: str, pools: Pools, title: str = "") -> str:
    """Fill a template, drawing a fresh word for every placeholder; capitals give Title Case."""

    def pick(match: re.Match[str]) -> str:
        key = match.group(1)
        if key == "t":
            return title.lower()
        word = rng.choice(pools[key.lower()])
        return word.title() if key.isupper() else word

    return re.sub(r"\{(\w+)\}", pick, template)


def unique(rng: random.Random, templates: Sequence[str], pools: Pools, used: set[str]) -> str:
    """Fill random templates until the result is not in `used`, then record it."""
    for _ in range(50):
        text = fill(rng, rng.choice(templates), pools)
        if text not in used:
            break
    while text in used:  # a crowded artist: number the repeat rather than loop forever
        text += " II"
    used.add(text)
    return text


def ordinal(day: int) -> str:
    """Return a day of the month with its English suffix: 1st, 2nd, 3rd, 11th, 22nd."""
    suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def artist_name(rng: random.Random, genre: str, used_names: set[str]) -> str:
    """A name in one of the genre's naming styles that no artist has yet, then recorded as used."""
    styles = words.NAME_STYLES.get(genre, ["solo", "solo", "band"])
    for _ in range(200):
        style = rng.choice(styles)
        if style == "solo":
            name = f"{rng.choice(words.FIRST_NAMES)} {rng.choice(words.LAST_NAMES)}"
        elif style == "stage":
            prefix = rng.choice(words.STAGE_PREFIXES.get(genre, ["Kid"]))
            name = f"{prefix} {rng.choice(words.STAGE_WORDS)}"
        elif style == "mono":
            name = rng.choice(words.STAGE_WORDS) + rng.choice(["", "x", "wave", "core"])
        elif style == "ensemble":
            name = f"{rng.choice(words.LAST_NAMES)} {rng.choice(words.ENSEMBLES[genre])}"
        else:
            name = rng.choice(["The ", ""]) + (
                f"{rng.choice(words.BAND_ADJECTIVES)} {rng.choice(words.BAND_NOUNS)}"
            )
        if name not in used_names:
            break
    else:
        raise RuntimeError("ran out of artist names")
    used_names.add(name)
    return name


def lyrics(rng: random.Random, genre: str, emotion: str, title: str, target: int) -> str:
    """Verses and a repeated chorus, lines joined with spaces, about `target` words long."""
    pools = word_pools(genre, emotion)
    chorus = [fill(rng, rng.choice(words.CHORUS_TEMPLATES), pools, title) for _ in range(2)]
    if genre in words.INTERJECTIONS and rng.random() < 0.6:
        chorus.append(words.INTERJECTIONS[genre])
    lines, count, section = [], 0, 0
    while count < target:
        verse = [fill(rng, rng.choice(words.VERSE_TEMPLATES), pools) for _ in range(rng.randint(2, 4))]
        for line in verse if section % 2 == 0 else chorus:
            line = line[0].upper() + line[1:]
            lines.append(line)
            count += len(line.split())
            if count >= target:
                break
        section += 1
    return " ".join(lines)

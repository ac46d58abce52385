"""The taste page: the map and the charts drawn as SVG on the server (no chart library, no script)."""

from collections import Counter

from flask import render_template
from flask_login import current_user, login_required

from ..services.recommendations.taste import NO_MOOD, MarkedSong, taste_page
from ..spotify_csv.vocab import EMOTIONS
from ..taste_map import HEIGHT, WIDTH, bars_width, fold_others, stacked_bars, top_keys
from . import bp

# Okabe-Ito colours, told apart with the common colour-vision deficiencies; the legend, the tooltips
# and the lists name every mood as well, so colour is never the only thing that says it.
MOOD_COLOURS = {
    "joy": "#E69F00",
    "sadness": "#0072B2",
    "anger": "#D55E00",
    "fear": "#6A3D9A",
    "love": "#CC79A7",
    "surprise": "#009E73",
    NO_MOOD: "#8C8C8C",
}
GENRE_COLOURS = ("#1d6f5f", "#4e79a7", "#f28e2b", "#b07aa1", "#59a14f", "#e15759")
OTHER_GENRES = "other genres"
OTHER_COLOUR = "#b8b2a7"
CHART_HEIGHT = 150  # bars are drawn at 1:1 (12 px labels) and shrink on narrow screens (taste.css)


def mood_summary(songs: list[MarkedSong], most: int = 2) -> str:
    """'mostly joy and love' for a list of songs, '' when empty."""
    counts = Counter(song.emotion or NO_MOOD for song in songs)
    names = [mood for mood, _ in counts.most_common(most)]
    return f"mostly {' and '.join(names)}" if names else ""


def map_description(data) -> str:
    """The map's text alternative: what is drawn and where the user's songs are."""
    catalog_map = data.catalog_map
    drawn = sum(catalog_map.counts.values())
    own = [song for song in data.own if song.x is not None]
    recs = [song for song in data.for_you if song.x is not None]
    parts = [
        (
            f"{drawn:,} of {catalog_map.songs:,} songs in the catalog drawn as dots coloured by mood "
            f"({', '.join(f'{mood} {count}' for mood, count in sorted(catalog_map.counts.items()))})."
        ),
        f"Marked: {len(own)} of your songs ({mood_summary(own)})."
        if own
        else "None of your songs is marked yet.",
        f"{len(recs)} recommendations for you ({mood_summary(recs)})." if recs else "",
    ]
    if data.you is not None:
        parts.append("A cross marks your taste.")
    return " ".join(part for part in parts if part)


def chart(counts: dict, order: list[str], colours: dict) -> dict:
    """A stacked-bar chart's bars, colours and legend, for the template."""
    bars = stacked_bars(counts, order, CHART_HEIGHT)
    used = [key for key in order if any(segment.key == key for bar in bars for segment in bar.segments)]
    return {
        "bars": bars,
        "legend": used,
        "colours": colours,
        "width": bars_width(bars),
        "height": CHART_HEIGHT,
    }


@bp.route("/")
@login_required
def page():
    data = taste_page(current_user)
    genres = top_keys(data.genres, len(GENRE_COLOURS))
    genre_colours = dict(zip(genres, GENRE_COLOURS))
    genre_colours[OTHER_GENRES] = OTHER_COLOUR
    ready = data.catalog_map is not None and data.catalog_map.projection is not None
    return render_template(
        "taste.html",
        data=data,
        ready=ready,
        preparing=data.catalog_map is None and not data.map_failed,
        description=map_description(data) if ready else "",
        width=WIDTH,
        height=HEIGHT,
        mood_colours=MOOD_COLOURS,
        moods=chart(data.moods, [*EMOTIONS, NO_MOOD], MOOD_COLOURS),
        genres=chart(fold_others(data.genres, genres, OTHER_GENRES), [*genres, OTHER_GENRES], genre_colours),
    )

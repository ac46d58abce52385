"""How a song can be listened to from its page or the player bar, for the templates.

- A Spotify track id (the tracks schema has one): Spotify's embedded player, whose frame the CSP
  allows (frame-src https://open.spotify.com, app/security_headers.py), and an "Open in Spotify" link.
- No id: search links on Spotify and YouTube built from artist and title; nothing is fetched.
- Key, tempo and energy known (the demo catalog, which is generated, has them and nothing to play):
  a short sketch synthesised in the browser from them (static/js/sketch.js), labelled as such.
"""

import re
from urllib.parse import quote

from flask import Flask

SPOTIFY_EMBED = "https://open.spotify.com/embed/track/"
SPOTIFY_TRACK = "https://open.spotify.com/track/"
# Spotify ids are 22 base-62 characters; anything else would only give a broken frame.
_SPOTIFY_ID = re.compile(r"[0-9A-Za-z]{22}")


def spotify_id(song) -> str | None:
    """The song's Spotify track id when it has a well-formed one."""
    track_id = getattr(song, "source_track_id", None)
    return track_id if track_id and _SPOTIFY_ID.fullmatch(track_id) else None


def spotify_urls(song) -> dict[str, str] | None:
    """{"embed": frame URL, "open": track page URL}, or None without a track id."""
    track_id = spotify_id(song)
    if track_id is None:
        return None
    return {"embed": SPOTIFY_EMBED + track_id, "open": SPOTIFY_TRACK + track_id}


def search_links(song) -> list[tuple[str, str]]:
    """[(label, URL)]: searches for "artist title" on Spotify and YouTube, URL-encoded."""
    terms = f"{song.artist} {song.title}".strip()
    return [
        ("Find on Spotify", "https://open.spotify.com/search/" + quote(terms, safe="")),
        ("Find on YouTube", "https://www.youtube.com/results?search_query=" + quote(terms, safe="")),
    ]


def sketch_params(song) -> dict[str, str] | None:
    """The data attributes static/js/sketch.js plays from, or None when a feature it needs is unknown."""
    if song.key is None or not song.tempo or song.energy is None:
        return None
    return {
        "data-key": str(song.key),
        "data-mode": str(song.mode if song.mode is not None else 1),
        "data-tempo": f"{song.tempo:.0f}",
        "data-energy": f"{song.energy:.2f}",
    }


def init_app(app: Flask) -> None:
    """Make the helpers available to every template (cards, song page, player bar)."""
    app.jinja_env.globals.update(
        spotify_urls=spotify_urls,
        search_links=search_links,
        sketch_params=sketch_params,
    )

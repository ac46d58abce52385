"""Browsing the catalog (live search, filters, paging) and the song page (player, linked similar songs)."""

from flask import abort, current_app, render_template, request
from flask_login import current_user, login_required

from ..services.activity.history import get_song
from ..services.activity.library import states_for
from ..services.catalog import browse
from ..services.recommendations.lists import similar_songs
from ..spotify_csv.vocab import ACTIVITY_TAGS, AUDIO_FEATURES, EMOTIONS
from ..web import found, is_htmx, page_arg
from . import bp


def browse_filters():
    """The browse page's filters from the query string; 400 for values outside the vocabularies."""
    filters = {
        "q": request.args.get("q", "").strip()[:200],
        "genre": request.args.get("genre", "").strip(),
        "emotion": request.args.get("emotion", "").strip(),
        "tag": request.args.get("tag", "").strip(),
        "explicit": request.args.get("explicit", "").strip(),
        "sort": request.args.get("sort", "popularity"),
    }
    if filters["sort"] not in browse.SORTS:
        abort(400, f"sort must be one of: {', '.join(browse.SORTS)}")
    if filters["emotion"] and filters["emotion"] not in EMOTIONS:
        abort(400, f"emotion must be one of: {', '.join(EMOTIONS)}")
    if filters["explicit"] not in ("", "hide", "only"):
        abort(400, "explicit must be 'hide' or 'only'")
    return filters


@bp.route("/")
@login_required
def index():
    f = browse_filters()
    explicit = {"hide": False, "only": True}.get(f["explicit"])
    songs = browse.page_of_songs(
        page_arg(),
        current_app.config["SONGS_PER_PAGE"],
        f["q"],
        f["genre"],
        f["sort"],
        emotion=f["emotion"] or None,
        tag=f["tag"] or None,
        explicit=explicit,
    )
    context = {
        "songs": songs,
        "filters": f,
        "states": states_for(current_user.id, [s.id for s in songs.items]),
        "genres": browse.cached_genre_counts(limit=60),
        "sorts": list(browse.SORTS),
        "tags": ACTIVITY_TAGS,
    }
    if is_htmx():
        return render_template("songs/_results.html", **context)
    return render_template("songs/index.html", **context)


@bp.route("/<int:song_id>")
@login_required
def show(song_id):
    song = found(get_song(song_id), f"No song with id {song_id}.")
    radio = similar_songs(song, k=6, user=current_user)
    # The song's own state and its radio's in one query.
    states = states_for(current_user.id, [song.id, *(item["song"]["id"] for item in radio["items"])])
    return render_template(
        "songs/show.html",
        song=song,
        state=states.get(song.id),
        features=[(name, getattr(song, name)) for name in AUDIO_FEATURES],
        tags=browse.song_tags(song),
        radio=[(item["song"], item["reason"]) for item in radio["items"]],
        radio_states=states,
        degraded=radio["degraded"],
        similar=browse.similar_in_catalog(song.similar_songs),  # linked when the catalog holds them
        listen=request.args.get("listen") == "1",  # after Play without JavaScript: the player is loaded
    )

"""The paged song list and the song page."""

from flask import abort, current_app, render_template, request
from flask_login import login_required

from ..extensions import db
from ..models import Song
from ..services import catalog
from ..services.activity import state_for
from . import bp


@bp.route("/")
@login_required
def index():
    try:
        page = int(request.args.get("page", 1))
    except ValueError:
        abort(400, "page must be a whole number")
    if page < 1:
        abort(400, "page must be 1 or more")
    q = request.args.get("q", "").strip()[:200]
    genre = request.args.get("genre", "").strip()
    sort = request.args.get("sort", "popularity")
    if sort not in catalog.SORTS:
        abort(400, f"sort must be one of: {', '.join(catalog.SORTS)}")
    songs = catalog.page_of_songs(page, current_app.config["SONGS_PER_PAGE"], q, genre, sort)
    return render_template(
        "songs/index.html",
        songs=songs,
        q=q,
        genre=genre,
        sort=sort,
        genres=catalog.genre_counts(limit=60),
        sorts=list(catalog.SORTS),
    )


@bp.route("/<int:song_id>")
@login_required
def show(song_id):
    song = db.get_or_404(Song, song_id)
    return render_template("songs/show.html", song=song, state=state_for(song))

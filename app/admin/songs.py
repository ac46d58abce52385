"""Admin pages for songs: search, add, edit and delete, with the index state in each message."""

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..services.accounts.audit import Actor
from ..services.activity.history import get_song
from ..services.admin import songs as song_admin
from ..services.catalog.browse import page_of_songs
from ..spotify_csv.validation import SongInvalid
from ..web import found, page_arg
from . import bp
from .forms import ConfirmForm, SongForm, check_song_form, show_field_errors, song_form_data, song_payload

PENDING_NOTE = (
    " The vector store did not answer: the song is marked for re-indexing "
    "(index pending; `flask vectors sync` or its next edit completes it)."
)


def _actor():
    return Actor(current_user._get_current_object(), via="page")


def _flash_change(change, done):
    if change.index == song_admin.PENDING:
        flash(done + PENDING_NOTE, "warning")
    else:
        flash(done, "success")


@bp.get("/songs")
def songs():
    """Songs whose title, artist or album matches a search, by title, a page at a time."""
    q = request.args.get("q", "").strip()[:200]
    page = page_of_songs(page_arg(), current_app.config["SONGS_PER_PAGE"], q or None, sort="title")
    return render_template("admin/songs.html", songs=page, q=q)


def _submitted_and_valid(form, partial):
    if not form.is_submitted():
        return False
    parsed = form.validate()
    return check_song_form(form, partial) and parsed


def _save(form, song=None):
    """Run the create or edit; returns the SongChange, or None after putting errors on the form."""
    try:
        if song is None:
            return song_admin.create_song(song_payload(form), _actor())
        return song_admin.update_song(song, song_payload(form), _actor())
    except SongInvalid as exc:
        for message in show_field_errors(form, exc.fields):
            flash(message, "error")
    except song_admin.SongExists as exc:
        form.title.errors = [*form.title.errors, str(exc)]
    return None


@bp.route("/songs/new", methods=["GET", "POST"])
def new_song():
    """Add a song."""
    form = SongForm()
    if _submitted_and_valid(form, partial=False):
        change = _save(form)
        if change is not None:
            _flash_change(change, f"Added “{song_admin.label(change.song)}”.")
            return redirect(url_for("admin.edit_song", song_id=change.song_id))
    status = 400 if form.is_submitted() else 200
    return render_template("admin/song_form.html", form=form, song=None), status


@bp.route("/songs/<int:song_id>/edit", methods=["GET", "POST"])
def edit_song(song_id):
    """Edit a song; a change of its text re-embeds it."""
    song = found(get_song(song_id), f"No song with id {song_id}.")
    form = SongForm(data=song_form_data(song))
    if _submitted_and_valid(form, partial=True):
        change = _save(form, song)
        if change is not None:
            done = f"Saved: {', '.join(change.changed)} changed." if change.changed else "Nothing changed."
            _flash_change(change, done)
            return redirect(url_for("admin.edit_song", song_id=song.id))
    status = 400 if form.is_submitted() else 200
    return render_template("admin/song_form.html", form=form, song=song), status


@bp.route("/songs/<int:song_id>/delete", methods=["GET", "POST"])
def delete_song(song_id):
    """Ask for confirmation, then delete a song with its activity rows and its point."""
    song = found(get_song(song_id), f"No song with id {song_id}.")
    form = ConfirmForm()
    if form.validate_on_submit():
        name = song_admin.label(song)
        change = song_admin.delete_song(song, _actor())
        _flash_change(change, f"Deleted “{name}”; {change.users_updated} listeners' taste vectors updated.")
        return redirect(url_for("admin.songs"))
    events, users = song_admin.activity_counts(song.id)
    return render_template("admin/song_delete.html", song=song, form=form, events=events, users=users)

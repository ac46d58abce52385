"""The logged-in user's profile: stated preferences, and API tokens (created, listed, revoked)."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..extensions import embedder
from ..services.accounts import tokens, users
from ..services.activity.events import event_count
from ..services.catalog import browse
from ..web import is_htmx
from . import bp
from .forms import ProfileForm, TokenForm


def _profile_form():
    form = ProfileForm(obj=current_user)
    form.set_tag_choices([genre for genre, _ in browse.cached_genre_counts(limit=30)], current_user.tags)
    return form


def _render(form, token_form=None, new_token=None, status=200):
    return render_template(
        "profile.html",
        form=form,
        token_form=token_form or TokenForm(),
        tokens=tokens.list_tokens(current_user.id),
        new_token=new_token,
        events=event_count(current_user.id),
        # Not loaded yet (a server loads it in the background after its start): a save waits for it.
        model_loading=not getattr(embedder(), "ready", True),
    ), status


@bp.route("/", methods=["GET", "POST"])
@login_required
def show():
    form = _profile_form()
    if form.validate_on_submit():
        # Saving recomputes the taste vector (in update_profile), so recommendations follow at once.
        users.update_profile(current_user, form.age.data, form.bio.data, form.emotions.data, form.tags.data)
        flash("Profile saved. Your recommendations now follow it.", "success")
        return redirect(url_for("profile.show"))
    # htmx swaps only 2xx answers: the form it posted gets its errors back with 200 to show them.
    return _render(form, status=400 if form.is_submitted() and not is_htmx() else 200)


@bp.post("/tokens")
@login_required
def create_token():
    token_form = TokenForm()
    if not token_form.validate_on_submit():
        return _render(_profile_form(), token_form, status=400)
    _, plaintext = tokens.create_token(current_user.id, token_form.name.data)
    # Rendered, not flashed: a flash would travel in the session cookie.
    return _render(_profile_form(), new_token=plaintext)


@bp.post("/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id):
    if request.form.get("confirm") != "yes":
        abort(400, "confirm=yes is required to revoke a token")
    if tokens.revoke_token(current_user.id, token_id) is None:
        abort(404, "No such token.")
    flash("Token revoked: programs using it can no longer sign in.", "success")
    return redirect(url_for("profile.show") + "#tokens")

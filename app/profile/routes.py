"""Showing and editing the logged-in user's profile."""

from flask import flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from ..services import accounts, catalog
from ..services.activity import event_count
from . import bp
from .forms import ProfileForm


@bp.route("/", methods=["GET", "POST"])
@login_required
def show():
    form = ProfileForm(obj=current_user)
    form.set_tag_choices([genre for genre, _ in catalog.genre_counts(limit=30)], current_user.tags)
    status = 200
    if form.validate_on_submit():
        accounts.update_profile(
            current_user, form.age.data, form.bio.data, form.emotions.data, form.tags.data
        )
        flash("Profile saved.", "success")
        return redirect(url_for("profile.show"))
    if form.is_submitted():
        status = 400
    return (
        render_template("profile.html", form=form, events=event_count(current_user.id)),
        status,
    )

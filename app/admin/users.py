"""Admin pages for users: search, a profile with activity counts, promote/demote, (de)activate."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..services.accounts.audit import Actor
from ..services.activity.history import get_user
from ..services.admin import users as user_admin
from ..web import found, page_arg
from . import bp
from .forms import USER_ACTIONS, UserActionForm

USERS_PER_PAGE = 30
DONE = {
    "user.promote": "is now an admin",
    "user.demote": "is no longer an admin",
    "user.deactivate": "is deactivated: they cannot log in and their tokens stop working",
    "user.reactivate": "is active again",
}


@bp.get("/users")
def users():
    """Users whose name contains a search, by name, a page at a time."""
    q = request.args.get("q", "").strip()[:64]
    page = user_admin.page_of_users(q or None, page_arg(), USERS_PER_PAGE)
    return render_template("admin/users.html", users=page, q=q)


@bp.get("/users/<int:user_id>")
def user(user_id):
    """A user's profile, activity counts and the actions an admin can take."""
    target = found(get_user(user_id), f"No user with id {user_id}.")
    return render_template(
        "admin/user.html", user=target, detail=user_admin.user_detail_json(target), form=UserActionForm()
    )


@bp.post("/users/<int:user_id>")
def change_user(user_id):
    """Promote, demote, deactivate or reactivate; refuses to remove the last active admin."""
    target = found(get_user(user_id), f"No user with id {user_id}.")
    form = UserActionForm()
    if not form.validate_on_submit():
        abort(400, "Unknown action: choose promote, demote, deactivate or reactivate.")
    try:
        actions = user_admin.set_flags(
            target, Actor(current_user._get_current_object(), via="page"), **USER_ACTIONS[form.action.data]
        )
    except user_admin.LastAdmin as exc:
        flash(str(exc), "error")
    else:
        for action in actions:
            flash(f"{target.username} {DONE[action]}.", "success")
        if not actions:
            flash("Nothing changed.", "info")
    return redirect(url_for("admin.user", user_id=user_id))

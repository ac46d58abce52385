"""/api/v1/users and /api/v1/status: admins list and change accounts, and read the system's state."""

from flask import abort
from flask_login import current_user

from ..services import admin_users, history
from ..services.audit import Actor
from ..services.system_status import status_report
from . import bp
from .admin_songs import invalid_fields, json_object
from .auth import require_admin
from .params import page_json, paging, text_arg

FLAGS = ("is_admin", "is_active")


def _user_or_404(user_id):
    user = history.get_user(user_id)
    if user is None:
        abort(404, f"No user with id {user_id}.")
    return user


@bp.get("/users")
def list_users():
    """Users whose name contains q, by name, a page at a time (admins)."""
    require_admin()
    page, per_page = paging()
    users = admin_users.page_of_users(text_arg("q", 64), page, per_page)
    return page_json(users, [admin_users.user_json(user) for user in users.items])


@bp.get("/users/<int:user_id>")
def show_user(user_id):
    """A user's profile and activity counts (admins)."""
    require_admin()
    return admin_users.user_detail_json(_user_or_404(user_id))


@bp.patch("/users/<int:user_id>")
def update_user(user_id):
    """Promote/demote (is_admin) or deactivate/reactivate (is_active) a user (admins)."""
    require_admin()
    user = _user_or_404(user_id)
    body = json_object()
    fields = {name: "is not a field that can be changed here" for name in body if name not in FLAGS}
    fields |= {name: "must be true or false" for name in FLAGS
               if name in body and not isinstance(body[name], bool)}
    if fields:
        return invalid_fields(fields)
    if not body:
        return invalid_fields({"body": f"give at least one of {', '.join(FLAGS)}"})
    try:
        actions = admin_users.set_flags(
            user, Actor(current_user._get_current_object(), via="api"),
            is_admin=body.get("is_admin"), is_active=body.get("is_active"),
        )
    except admin_users.LastAdmin as exc:
        abort(409, str(exc))
    return {"user": admin_users.user_detail_json(user), "actions": actions}


@bp.get("/status")
def system_status():
    """Counts, the vector index against SQL, the last seeding run, reachability, latest audit entries."""
    require_admin()
    return status_report()

"""The Admin section at /admin: songs, users and system status, for admins only."""

from flask import Blueprint, abort
from flask_login import current_user

from ..extensions import login_manager

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
def admins_only():
    """Anonymous visitors go to the login page; signed-in non-admins get 403."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not current_user.is_admin:
        abort(403, "This page is for administrators.")
    return None


from . import songs, status, users  # noqa: F401

"""/api/v1/users and /api/v1/status: admins list and change accounts, and read the system's state."""

from typing import Any

from flask import abort
from flask.typing import ResponseReturnValue
from flask_login import current_user

from ..services.accounts.audit import Actor
from ..services.activity import history
from ..services.admin import users
from ..services.ops.status import status_report
from ..web import found
from . import V1, bp
from .auth import admin_only
from .docs import errors
from .schemas import CsrfHeader
from .schemas_admin import (
    ADMIN_ONLY,
    AdminUserDetailSchema,
    AdminUserPageSchema,
    SystemStatusSchema,
    UserChangedSchema,
    UserFlagsSchema,
    UserQuery,
)
from .songs import page_json


def _user_or_404(user_id: int) -> Any:
    return found(history.get_user(user_id), f"No user with id {user_id}.")


@bp.route(f"{V1}/users", tags=["admin"])
@admin_only
@bp.arguments(UserQuery, location="query")
@bp.alt_response(200, schema=AdminUserPageSchema, description="A page of users.", success=True)
@bp.doc(description=ADMIN_ONLY)
@errors(400, 401, 403)
def list_users(query: dict[str, Any]) -> dict[str, Any]:
    """Users whose name contains q, by name, a page at a time"""
    page = users.page_of_users(query.get("q"), query["page"], query["per_page"])
    return page_json(page, [users.user_json(user) for user in page.items])


@bp.route(f"{V1}/users/<int:user_id>", tags=["admin"])
@admin_only
@bp.alt_response(200, schema=AdminUserDetailSchema, description="The user.", success=True)
@bp.doc(description=ADMIN_ONLY)
@errors(401, 403, 404)
def show_user(user_id: int) -> dict[str, Any]:
    """A user's profile and activity counts"""
    return users.user_detail_json(_user_or_404(user_id))


@bp.route(f"{V1}/users/<int:user_id>", methods=["PATCH"], tags=["admin"], endpoint="update_user")
@admin_only
@bp.arguments(CsrfHeader, location="headers")
@bp.arguments(UserFlagsSchema)
@bp.alt_response(200, schema=UserChangedSchema, description="The user and the actions taken.", success=True)
@bp.doc(description=ADMIN_ONLY)
@errors(400, 401, 403, 404, 409, 413)
def update_user(_headers: dict[str, Any], flags: dict[str, bool], user_id: int) -> ResponseReturnValue:
    """Promote/demote (is_admin), deactivate/reactivate (is_active)"""
    user = _user_or_404(user_id)
    try:
        actions = users.set_flags(
            user,
            Actor(current_user._get_current_object(), via="api"),
            is_admin=flags.get("is_admin"),
            is_active=flags.get("is_active"),
        )
    except users.LastAdmin as exc:
        abort(409, str(exc))
    return {"user": users.user_detail_json(user), "actions": actions}


@bp.route(f"{V1}/status", tags=["admin"])
@admin_only
@bp.alt_response(200, schema=SystemStatusSchema, description="The system's state.", success=True)
@bp.doc(description=ADMIN_ONLY)
@errors(401, 403)
def system_status() -> dict[str, Any]:
    """Counts, the vector index against SQL, the last seeding run, reachability, latest audit entries"""
    return status_report()

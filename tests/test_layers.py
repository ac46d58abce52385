"""Layering (issue 14): web code reaches the database only through app/services/, and each blueprint
answers its own errors (app/errors.py holds no list of other blueprints' paths).

The import rule is read from the source with `ast`, so adding `from ..models import Song` to a
view fails here before any page is requested.
"""

from pathlib import Path

import pytest
from flask import Blueprint, abort

from app.errors import error_response, json_errors

from .source_imports import imports

APP = Path(__file__).resolve().parent.parent / "app"
# The layers that may reach the database; everything else under app/ is web code.
DATA_LAYERS = ("services", "models", "recommend", "vectors", "spotify_csv")
DATA_MODULES = ("extensions.py", "database.py", "__init__.py")
# Importing any of these (or anything under them) reaches the database.
FORBIDDEN_MODULES = ("app.models", "sqlalchemy", "flask_sqlalchemy")
# app.extensions also holds the login manager, CSRF and the limiter: only db, or the module itself, is out.
FORBIDDEN_NAMES = ("app.extensions", "app.extensions.db")


def _in_forbidden_module(name: str) -> bool:
    return any(name == module or name.startswith(module + ".") for module in FORBIDDEN_MODULES)


def _forbidden(name: str) -> bool:
    return name in FORBIDDEN_NAMES or _in_forbidden_module(name)


def database_imports(source: str, package: str) -> list[str]:
    """'line N: name' for each import in the source that reaches the database layer.

    `package` is the package the module sits in (app.songs for app/songs/routes.py, and for
    app/songs/__init__.py too), against which relative imports resolve.
    """
    found = []
    for line, module, names in imports(source, package):
        # `from x import y` binds x.y, a submodule or an attribute: either may be the database.
        checked = [module] if not names or _in_forbidden_module(module) else names
        found += [f"line {line}: {name}" for name in checked if _forbidden(name)]
    return found


def web_modules() -> list[Path]:
    """Every module under app/ outside the data layers."""
    modules = []
    for path in sorted(APP.rglob("*.py")):
        relative = path.relative_to(APP)
        if relative.parts[0] in DATA_LAYERS or str(relative) in DATA_MODULES:
            continue
        modules.append(path)
    return modules


def _violations(path: Path) -> list[str]:
    # app/songs/routes.py and app/songs/__init__.py both resolve relative imports against app.songs.
    package = ".".join(path.relative_to(APP.parent).parts[:-1])
    return database_imports(path.read_text(encoding="utf-8"), package)


@pytest.mark.parametrize(
    "source, package, expected",
    [
        ("from ..models import Song", "app.songs", ["app.models"]),
        ("from ..extensions import db", "app.songs", ["app.extensions.db"]),
        ("from .extensions import db, limiter", "app", ["app.extensions.db"]),
        ("from .. import models", "app.admin", ["app.models"]),
        ("from ..models.song import Song", "app.admin", ["app.models.song"]),
        ("import sqlalchemy as sa", "app", ["sqlalchemy"]),
        ("from sqlalchemy.orm import Session", "app.taste", ["sqlalchemy.orm"]),
        ("import app.extensions", "app.taste", ["app.extensions"]),
        ("def view():\n    from app.models import User\n", "app.profile", ["app.models"]),
        ("from ..extensions import login_manager", "app.admin", []),
        ("from ..services.catalog import browse\nfrom . import bp", "app.songs", []),
        ("import sqlalchemy_utils_like_name", "app", []),
    ],
)
def test_the_import_check_finds_each_way_to_reach_the_database(source, package, expected):
    found = database_imports(source, package)
    assert [entry.split(": ", 1)[1] for entry in found] == expected


def test_web_code_reaches_the_database_only_through_services():
    checked = web_modules()
    # The blueprints and the shared web modules are all looked at, not an empty list.
    looked_at = {path.relative_to(APP).parts[0] for path in checked}
    assert {"songs", "admin", "api", "library", "errors.py", "web.py", "throttle.py"} <= looked_at
    offenders = {str(path.relative_to(APP.parent)): found for path in checked if (found := _violations(path))}
    assert offenders == {}, "web code imports the database layer; call a function in app/services/ instead"


@pytest.fixture
def probe_app(app):
    """The app with a JSON blueprint at /probe (json_errors) and an HTML one sharing its first segment."""
    probe = Blueprint("probe", __name__, url_prefix="/probe")
    json_errors(probe)

    @probe.get("/items/<int:item_id>")
    def item(item_id):
        abort(404, f"No item {item_id}.")

    @probe.post("/items")
    def add_item():
        return {"ok": True}, 201

    @probe.get("/broken")
    def broken():
        raise RuntimeError("secret internals")

    pages = Blueprint("probe_pages", __name__)

    @pages.get("/probe/about")
    def about():
        return "about"

    app.register_blueprint(probe)
    app.register_blueprint(pages)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    return app


def _json(response, status):
    assert response.status_code == status and response.is_json, response.get_data(as_text=True)[:200]
    body = response.get_json()
    assert body["status"] == status and body["message"]
    return body


def test_a_blueprints_own_handlers_answer_errors_in_its_views(probe_app):
    client = probe_app.test_client()
    assert _json(client.get("/probe/items/7"), 404)["message"] == "No item 7."
    # The app-wide CSRF check runs before the view, and its failure still goes to the blueprint.
    assert "X-CSRFToken" in _json(client.post("/probe/items"), 400)["message"]
    server_error = client.get("/probe/broken")
    assert _json(server_error, 500) and "secret internals" not in server_error.get_data(as_text=True)


def test_routing_errors_go_to_the_blueprint_whose_rules_are_nearest(probe_app):
    client = probe_app.test_client()
    _json(client.get("/probe/items/7/extra"), 404)  # no rule: /probe/items/... is the probe's
    not_allowed = client.put("/probe/items")
    assert _json(not_allowed, 405) and "POST" in not_allowed.headers["Allow"]
    # /probe/... alone is shared by both blueprints, and the HTML one registered nothing: the site's page.
    tie = client.get("/probe/nothing")
    assert tie.status_code == 404 and tie.mimetype == "text/html"
    elsewhere = client.get("/no-such-page")
    assert elsewhere.status_code == 404 and elsewhere.mimetype == "text/html"


def test_errors_answered_outside_the_handlers_defer_to_the_blueprint(probe_app):
    with probe_app.test_request_context("/probe/items/3"):
        response = probe_app.make_response(error_response(429, "Slow down.", {"Retry-After": "9"}))
    assert _json(response, 429)["message"] == "Slow down." and response.headers["Retry-After"] == "9"
    with probe_app.test_request_context("/probe/about"):
        page = probe_app.make_response(error_response(429, "Slow down.", {"Retry-After": "9"}))
    assert page.mimetype == "text/html" and page.status_code == 429 and page.headers["Retry-After"] == "9"

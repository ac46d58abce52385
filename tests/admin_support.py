"""Helpers for the admin tests: an admin with a token, logged-in clients, audit rows, song rows."""

from html.parser import HTMLParser

import pytest
import sqlalchemy as sa

from app.extensions import db, vector_store
from app.models import AuditEntry, Song
from app.services.indexing.song_vectors import embed_songs
from app.vectors import VectorStoreError
from app.vectors.schema import SONGS

from .api_support import bearer, make_user, new_token
from .conftest import AuthActions, csrf_token

PASSWORD = "long enough pw"  # make_user's password


@pytest.fixture
def admin(app):
    """An admin user "root"; returns the id."""
    return make_user(app, "root", admin=True)


@pytest.fixture
def admin_headers(app, admin):
    """Bearer headers of the admin."""
    return bearer(new_token(app, admin, "admin"))


def logged_in(app, username, password=PASSWORD):
    """A new test client logged in as username through the form; returns (client, csrf token)."""
    client = app.test_client()
    response = AuthActions(client).login(username, password)
    assert response.status_code == 302, response.get_data(as_text=True)
    return client, csrf_token(client, "/songs/")


def audit_actions(app):
    """(action, via, target id) of every audit row, oldest first."""
    with app.app_context():
        return [
            tuple(row)
            for row in db.session.execute(
                sa.select(AuditEntry.action, AuditEntry.via, AuditEntry.target_id).order_by(AuditEntry.id)
            )
        ]


def song_row(app, song_id):
    """Every column of a song as a dict (None when it is gone), to compare before and after."""
    with app.app_context():
        song = db.session.get(Song, song_id)
        return None if song is None else {c.key: getattr(song, c.key) for c in Song.__table__.columns}


@pytest.fixture
def indexed(app, demo_songs):
    """The demo songs, embedded and indexed."""
    with app.app_context():
        embed_songs()
    return demo_songs


def store_ids(app, must=None):
    """Ids of the song points matching a payload filter."""
    with app.app_context():
        return {hit.id for hit in vector_store().search(SONGS, [1.0] + [0.0] * 383, k=1000, must=must)}


def break_the_store(app, monkeypatch):
    """Make the vector store's writes fail until monkeypatch.undo()."""
    with app.app_context():
        store = vector_store()

    def fail(*args, **kwargs):
        raise VectorStoreError("vector store: connection refused (test)")

    monkeypatch.setattr(store, "upsert", fail)
    monkeypatch.setattr(store, "delete", fail)
    return store


class _FormReader(HTMLParser):
    """What a browser would submit for each form on a page: inputs, textareas, selected options."""

    def __init__(self):
        super().__init__()
        self.forms, self.values, self._textarea, self._select = [], {}, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.values = {}
            self.forms.append(self.values)
        elif tag == "input" and "name" in attrs and attrs.get("type") not in ("checkbox", "submit"):
            self.values[attrs["name"]] = attrs.get("value") or ""
        elif tag == "textarea":
            self._textarea = attrs["name"]
            self.values[self._textarea] = ""
        elif tag == "select":
            self._select = attrs["name"]
            self.values[self._select] = None
        elif tag == "option" and self._select and ("selected" in attrs or self.values[self._select] is None):
            self.values[self._select] = attrs.get("value", "")

    def handle_endtag(self, tag):
        if tag == "textarea":
            # Browsers drop the newline that follows <textarea>.
            self.values[self._textarea] = self.values[self._textarea].removeprefix("\r\n").removeprefix("\n")
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data


def form_values(html, field):
    """The fields of the page's form that has `field`, as a browser would submit them unchanged."""
    reader = _FormReader()
    reader.feed(html)
    return next(form for form in reader.forms if field in form)

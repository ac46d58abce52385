"""Helpers for the API tests: tokens, extra users, error checks, and a double of the recommender."""

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Song
from app.services.accounts import tokens, users
from app.services.catalog.browse import song_json
from app.services.recommendations import lists as recs


def bearer(token):
    """Headers that authenticate with an API token."""
    return {"Authorization": f"Bearer {token}"}


def new_token(app, user_id, name="test"):
    """A fresh API token's plaintext."""
    with app.app_context():
        return tokens.create_token(user_id, name)[1]


def make_user(app, username, admin=False):
    """Register a user (optionally an admin); returns the id."""
    with app.app_context():
        user = users.register_user(username, "long enough pw")
        user.is_admin = admin
        db.session.commit()
        return user.id


def song_ids(app, limit=None):
    """Song ids in id order."""
    with app.app_context():
        return db.session.scalars(sa.select(Song.id).order_by(Song.id).limit(limit)).all()


def assert_json_error(response, status, *words):
    """The response is the API's JSON error with this status, mentioning each word."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json, response.headers.get("Content-Type")
    body = response.get_json()
    assert body["status"] == status and body["error"] and body["message"]
    assert "Traceback" not in response.get_data(as_text=True)
    for word in words:
        assert word.lower() in body["message"].lower(), body["message"]
    return body


class FakeRecommender:
    """Stands in for services.recommendations.lists: records each call, answers catalog songs in id order."""

    def __init__(self):
        self.calls = []
        self.degraded = False
        self.error = None

    def _items(self, approach, k, skip=()):
        songs = db.session.scalars(
            sa.select(Song).where(Song.id.not_in(list(skip))).order_by(Song.id).limit(k)
        )
        return [
            {
                "song": song_json(s),
                "score": 1.0 / (i + 1),
                "approach": approach,
                "reason": f"reason {s.id}",
                "sources": [approach],
            }
            for i, s in enumerate(songs)
        ]

    def recommend_for(self, user, approach="for_you", k=10, filters=recs.Filters()):
        self.calls.append(("recommend_for", user.id, approach, k, filters))
        if self.error:
            raise self.error
        return {
            "user_id": user.id,
            "approach": approach,
            "k": k,
            "degraded": self.degraded,
            "items": self._items(approach, k),
        }

    def similar_songs(self, song, k=10, user=None):
        self.calls.append(("similar_songs", song.id, k, getattr(user, "id", None)))
        return {"song_id": song.id, "degraded": self.degraded, "items": self._items("similar", k, {song.id})}


@pytest.fixture
def fake_recommender(monkeypatch):
    """Replace the recommendation service for a test, to check what the web layer does with it."""
    fake = FakeRecommender()
    monkeypatch.setattr(recs, "recommend_for", fake.recommend_for)
    monkeypatch.setattr(recs, "similar_songs", fake.similar_songs)
    return fake

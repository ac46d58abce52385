"""The embedding model's warm-up: it never blocks create_app, and a profile save during it waits for
the same load and succeeds. A slow loader held by an event stands in for the model (no timing)."""

import threading

import click
import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from app import create_app, embeddings
from app.embeddings import SentenceEmbedder, warm_up_wanted
from app.extensions import db, embedder

from .conftest import AuthActions, csrf_token
from .fakes import HashingEmbedder


class FakeModel:
    """What SentenceTransformer.encode returns, from the hashing double."""

    def __init__(self):
        self.inner = HashingEmbedder()

    def encode(self, texts, batch_size=32, **_):
        return self.inner.encode(texts, batch_size)


class HeldEmbedder(SentenceEmbedder):
    """The real embedder's locking, with a load that waits until the test releases it."""

    name = "held-test-double"

    def __init__(self):
        super().__init__("cpu")
        self.started, self.release, self.request_waits = (
            threading.Event(),
            threading.Event(),
            threading.Event(),
        )
        self.loads = 0
        self.released_in_time = None

    def _load(self):
        self.loads += 1
        self.started.set()
        # Not an assert: had create_app waited for this, the load would finish after the timeout
        # and the test's `not ready` check would fail instead of hanging.
        self.released_in_time = self.release.wait(10)
        return FakeModel()

    def model(self):
        if threading.current_thread().name != "embedding-warm-up":
            self.request_waits.set()  # a request reached the model while the load is held
        return super().model()


@pytest.fixture
def held(monkeypatch):
    embedder = HeldEmbedder()
    monkeypatch.setattr(embeddings, "shared_embedder", lambda device="cpu": embedder)
    yield embedder
    embedder.release.set()  # never leave a thread waiting
    if embedder._warm_thread is not None:
        embedder._warm_thread.join(10)


def make_app(uri: str, **settings):
    return create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": uri,
            "QDRANT_LOCATION": ":memory:",
            **settings,
        }
    )


def test_warm_up_does_not_block_create_app(database_uri, held):
    app = make_app(database_uri("warm"), EMBEDDING_WARMUP="on")
    assert held.started.wait(10)  # the load runs in the background...
    assert not held.ready  # ...and create_app returned while it was held
    assert app.extensions["embedder"] is held  # the embedder requests will use
    held.release.set()
    held._warm_thread.join(10)
    assert held.ready and held.loads == 1 and held.released_in_time


def test_tests_and_cli_commands_do_not_warm_up(database_uri, held):
    app = make_app(database_uri("warm"))  # EMBEDDING_WARMUP="auto" under TESTING
    assert "embedder" not in app.extensions and held._warm_thread is None and held.loads == 0


def test_which_starts_warm_up(monkeypatch):
    assert not warm_up_wanted("auto", testing=False)  # an app built under pytest, TESTING or not
    monkeypatch.delenv("PYTEST_CURRENT_TEST")
    assert warm_up_wanted("auto", testing=False)  # gunicorn: no click command around create_app
    assert not warm_up_wanted("auto", testing=True)
    with click.Context(click.Command("run")):
        assert warm_up_wanted("auto", testing=False)  # flask run serves
    with click.Context(click.Command("seed")):
        assert not warm_up_wanted("auto", testing=False)  # loads the model itself if it embeds
    assert warm_up_wanted("on", testing=True) and not warm_up_wanted("OFF", testing=False)
    with pytest.raises(ValueError, match="EMBEDDING_WARMUP"):
        warm_up_wanted("sometimes", testing=False)


def test_a_failed_warm_up_leaves_the_next_call_to_load(tmp_path):
    class FailsOnce(SentenceEmbedder):
        loads = 0

        def _load(self):
            self.loads += 1
            if self.loads == 1:
                raise OSError("weights unreadable")
            return FakeModel()

    embedder = FailsOnce("cpu")
    embedder.warm_up().join(10)
    assert not embedder.ready
    assert embedder.encode(["hello"]).shape == (1, 384)  # the request's call loads it again
    assert embedder.loads == 2 and embedder.warm_up() is None


def test_a_profile_save_during_warm_up_waits_for_the_same_load(database_uri, held):
    from app.models import User, UserVector
    from app.services.accounts import users

    app = make_app(database_uri("warm"), EMBEDDING_WARMUP="on")
    with app.app_context():
        upgrade()
        users.register_user("alice", "correct-horse")
    client = app.test_client()
    assert AuthActions(client).login().status_code == 302
    assert held.started.wait(10) and not held.ready
    data = {
        "age": "30",
        "bio": "Late-night jazz and long drives",
        "emotions": ["joy", "love"],
        "csrf_token": csrf_token(client, "/profile/"),
    }
    result = {}
    saver = threading.Thread(
        target=lambda: result.setdefault("response", client.post("/profile/", data=data))
    )
    saver.start()
    assert held.request_waits.wait(10)  # the save reached the model while its load is held...
    assert "response" not in result  # ...and has not answered
    held.release.set()
    saver.join(10)
    assert result["response"].status_code == 302  # then it succeeds
    assert held.loads == 1  # on the warm-up's load: no second one
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == "alice"))
        assert user.emotions == ["joy", "love"] and user.bio == "Late-night jazz and long drives"
        row = db.session.get(UserVector, user.id)
        assert row is not None and row.preference_vector  # the taste vector was computed
    with app.app_context():
        db.engine.dispose()


def test_the_profile_form_shows_an_indicator_while_it_saves(app, client, auth):
    auth.login()
    html = client.get("/profile/").get_data(as_text=True)
    assert 'hx-indicator="#profile-saving"' in html and 'id="profile-saving"' in html
    assert "not loaded yet" not in html  # the test double is always ready
    embedder.override(app, SentenceEmbedder("cpu"))  # the real one, not loaded (never loaded here)
    assert "The language model is not loaded yet" in client.get("/profile/").get_data(as_text=True)


def test_htmx_gets_the_forms_errors_with_a_status_it_swaps(client, auth):
    auth.login()
    data = {"age": "7", "csrf_token": csrf_token(client, "/profile/")}
    assert client.post("/profile/", data=data).status_code == 400  # a plain form post
    response = client.post("/profile/", data=data, headers={"HX-Request": "true"})
    assert response.status_code == 200 and 'class="errors"' in response.get_data(as_text=True)

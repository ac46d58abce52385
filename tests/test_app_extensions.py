"""The vector store and the embedder as Flask extensions: bound by create_app, opened on first use."""

import threading

import pytest
from flask import Flask

from app import create_app
from app.extensions import embedder, vector_store
from app.vectors import VectorStore

from .fakes import HashingEmbedder


def test_create_app_opens_no_store_and_the_first_use_opens_one_per_app(tmp_path):
    # An Edge shard opened before gunicorn forks would be inherited by every worker (field notes).
    settings = {"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'a.db'}"}
    edge = {**settings, "QDRANT_LOCATION": None, "VECTORS_PATH": str(tmp_path / "vectors")}
    app, other = create_app(edge), create_app({**settings, "QDRANT_LOCATION": ":memory:"})
    assert vector_store.opened(app) is None and not (tmp_path / "vectors").exists()
    opened: list[VectorStore] = []
    threads = [threading.Thread(target=lambda: opened.append(vector_store(app))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(opened) == 4 and all(store is opened[0] for store in opened)  # one opening, shared
    assert vector_store.opened(app) is opened[0] and opened[0].backend == "edge"
    with app.app_context():
        assert vector_store() is opened[0]  # the current app's by default
    assert vector_store(other) is not opened[0] and vector_store(other).backend != "edge"
    vector_store.close(app)
    vector_store.close(other)


def test_override_installs_a_store_and_an_embedder(app):
    store = vector_store(app)
    other = create_app({"TESTING": True, "QDRANT_LOCATION": ":memory:"})
    vector_store.override(other, store)
    double = HashingEmbedder()
    embedder.override(other, double)
    assert vector_store(other) is store and embedder(other) is double
    assert embedder(app) is not double  # each app has its own


def test_an_app_not_given_to_init_app_is_refused():
    stray = Flask("stray")
    with pytest.raises(RuntimeError, match=r"vector_store\.init_app"):
        vector_store(stray)
    with pytest.raises(RuntimeError, match=r"embedder\.init_app"):
        embedder.override(stray, HashingEmbedder())

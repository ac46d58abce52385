"""One vector schema (app/vectors/schema.py): the app's index and the evaluation's stores are built
from it alike, and the engines' sparse vector of a user is the one the users collection holds."""

import numpy as np
import pytest

from app.evaluation.split import ItemSet, build_store
from app.extensions import vector_store
from app.recommend.items import SongInfo, UserContext
from app.services.indexing.vector_collections import ensure_collections
from app.vectors import create_vector_store, schema

from .fakes import HashingEmbedder


class RecordingStore:
    """A real in-memory store that notes how each collection was asked for."""

    def __init__(self):
        self._store = create_vector_store(qdrant_location=":memory:")
        self.created = {}

    def ensure_collection(self, name, dim, indexed_fields=None, sparse=False):
        self.created[name] = (dim, dict(indexed_fields or {}), sparse)
        self._store.ensure_collection(name, dim, indexed_fields, sparse=sparse)

    def __getattr__(self, name):
        return getattr(self._store, name)


def test_the_apps_index_and_the_evaluations_store_get_the_same_collections(app):
    ours = RecordingStore()
    vector_store.override(app, ours)
    with app.app_context():
        ensure_collections(create=True)

    theirs = RecordingStore()
    payload = schema.song_payload(1, "Someone", "rock", ["rock"], None, False, 50)
    items = ItemSet({1: SongInfo(1, "A song", "Someone", "rock")}, {1: payload})
    build_store(theirs, [1], np.ones((1, HashingEmbedder.dim), dtype=np.float32), items, [])

    assert (
        ours.created
        == theirs.created
        == {
            "songs": (HashingEmbedder.dim, dict(schema.SONG_INDEXED_FIELDS), False),
            "users": (HashingEmbedder.dim, dict(schema.USER_INDEXED_FIELDS), True),
        }
    )
    assert sorted(ours.collections()) == sorted(theirs.collections()) == ["songs", "users"]
    for store in (ours, theirs):
        store.close()


def test_every_indexed_song_field_is_in_a_song_payload():
    payload = schema.song_payload(7, "Artist", "pop", ["pop", "dance"], "joy", True, 80, {"good_for_party"})
    assert set(schema.SONG_INDEXED_FIELDS) <= set(payload)
    assert payload["good_for_party"] is True and payload["good_for_yoga"] is False
    assert set(schema.USER_INDEXED_FIELDS) <= set(schema.user_payload(3, ["joy"], ["party"]))


def test_a_users_sparse_vector_is_their_positive_weights_at_unit_length():
    history = {10: 3.0, 11: -2.5, 12: 4.0, 13: 0.0}
    sparse = schema.user_sparse(history)
    assert sparse == pytest.approx({10: 0.6, 12: 0.8})  # the dislike and the neutral song left out
    assert UserContext(1, history=history).sparse == sparse  # what the engines search with
    assert schema.user_sparse({5: -1.0}) == {}

"""Comparing the vector index with SQL, and repairing it: missing points, orphans, stale songs."""

import sys
from collections.abc import Callable
from typing import Any, TypedDict

import sqlalchemy as sa
from tqdm import tqdm

from ...embeddings import text_hash
from ...extensions import db, embedder, vector_store
from ...models import Song, SongVector, User, UserVector
from ...vectors import VectorStore, VectorStoreError
from ...vectors.schema import SONGS, USERS
from .song_vectors import (
    embed_songs,
    iter_song_pages,
    mark_songs_unindexed,
    song_embedding_text,
)
from .user_vectors import refresh_user_vectors
from .vector_collections import ensure_collections, indexed_in_sql


class CollectionState(TypedDict):
    """One collection against SQL, as collection_states gives it."""

    state: str
    points: int | None
    expected: int


def _count(model: Any) -> int:
    # COUNT(*) always returns one row, so never None
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))  # type: ignore[return-value]


def stale_song_count() -> int:
    """Songs with no vector, a vector of older text, or a point the index missed."""
    stale = 0
    for page in iter_song_pages():
        for song in page:
            if song.text_hash != text_hash(song_embedding_text(song)) or not song.indexed:
                stale += 1
    return stale


def collection_states(store: VectorStore | None = None) -> dict[str, CollectionState]:
    """Open each collection and compare its points with SQL: {name: {"state", "points", "expected"}}.

    state is "ok"; "differs" (points and SQL disagree, yet searches work: sync repairs it);
    "missing", "unreadable: why" (cannot be opened or counted) or "empty" (no points while SQL
    says it holds some), the three under which the read path serves degraded lists. `points` is
    None when the collection could not be counted.
    """
    store = store or vector_store()
    existing = set(store.collections())  # a store that cannot even list raises VectorStoreError
    states: dict[str, CollectionState] = {}
    for name in (SONGS, USERS):
        expected, points = indexed_in_sql(name), None
        if name not in existing:
            state = "missing"
        else:
            try:
                points = store.count(name)
            except VectorStoreError as exc:
                state = f"unreadable: {exc}"[:500]
            else:
                state = "empty" if points == 0 and expected else "ok" if points == expected else "differs"
        states[name] = {"state": state, "points": points, "expected": expected}
    return states


FAILED_STATES = ("missing", "unreadable", "empty")


def collection_failed(state: str) -> bool:
    """True for a state under which recommendations degrade (and /healthz answers 503)."""
    return state.split(":", 1)[0] in FAILED_STATES


def index_status() -> dict[str, Any]:
    """What SQL says the index should hold against what it holds, with each difference in words."""
    store = vector_store()
    model = embedder()
    status: dict[str, Any] = {
        "backend": store.backend,
        "model": model.name,
        "dimension": model.dim,
        "songs": {"sql": _count(Song), "vectors": _count(SongVector), "stale": stale_song_count()},
        "users": {
            "sql": _count(User),
            "vectors": _count(UserVector),
            "stale": db.session.scalar(
                sa.select(sa.func.count()).select_from(UserVector).where(UserVector.indexed.is_(False))
            ),
        },
    }
    for name, state in collection_states(store).items():
        status[name]["points"] = state["points"]
        status[name]["indexed"] = state["expected"]
        status[name]["state"] = state["state"]
    status["differences"] = differences(status)
    return status


def differences(status: dict[str, Any]) -> list[str]:
    """Each way the index and SQL disagree, as a sentence; empty when they match."""
    found: list[str] = []
    for name in (SONGS, USERS):
        row = status[name]
        if row["state"] != "ok" and row["state"] != "differs":
            found.append(f"{name}: collection {row['state']}")
        elif row["points"] != row["indexed"]:
            found.append(f"{name}: {row['points']} points, SQL says {row['indexed']}")
        if row["stale"]:  # songs: no vector, outdated text or a missed write; users: a missed write
            found.append(f"{name}: {row['stale']} stale (`flask vectors sync` catches up)")
    return found


def sync_index(
    batch_size: int = 64, on_step: Callable[[int], object] | None = None
) -> dict[str, dict[str, int]]:
    """Make the index match SQL: drop orphan points, write missing ones, re-embed stale songs."""
    store = ensure_collections(create=True)
    report: dict[str, dict[str, int]] = {}
    song_ids = set(db.session.scalars(sa.select(Song.id)))
    points = store.ids(SONGS)
    orphans = points - song_ids
    if orphans:
        store.delete(SONGS, list(orphans))
    missing = song_ids - points
    if missing:
        mark_songs_unindexed(missing)  # their SQL vectors are written again below, no model call
    result = embed_songs(batch_size=batch_size, on_step=on_step)
    report["songs"] = {
        "orphans_removed": len(orphans),
        "missing": len(missing),
        "embedded": result.embedded,
        "reindexed": result.reindexed,
    }

    user_ids = set(db.session.scalars(sa.select(User.id)))
    user_points = store.ids(USERS)
    user_orphans = user_points - user_ids
    if user_orphans:
        store.delete(USERS, list(user_orphans))
    unindexed = set(db.session.scalars(sa.select(UserVector.user_id).where(UserVector.indexed.is_(False))))
    with_vectors = set(db.session.scalars(sa.select(UserVector.user_id)))
    # Users with no vector yet, a vector but no point, or a point the store missed: compute again.
    to_refresh = (user_ids - with_vectors) | (with_vectors - user_points) | unindexed
    if to_refresh:
        # The CLI's bar counts songs; users get their own (on a terminal only, as cli/progress.py),
        # since a first sync computes every user's taste vector and may embed their preferences.
        with tqdm(
            total=len(to_refresh),
            desc="Taste vectors",
            unit="user",
            file=sys.stderr,
            disable=not sys.stderr.isatty(),
            dynamic_ncols=True,
            leave=False,
        ) as bar:
            refresh_user_vectors(to_refresh, on_step=bar.update)
    report["users"] = {"orphans_removed": len(user_orphans), "refreshed": len(to_refresh)}
    return report

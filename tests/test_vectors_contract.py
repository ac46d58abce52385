"""One contract for every vector store backend: Qdrant Edge and qdrant-client (local mode)."""

import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import numpy as np
import pytest
import qdrant_edge as qe

from app.vectors import DENSE, SPARSE, Point, Range, VectorStoreError, VectorStoreLocked, create_vector_store
from app.vectors.base import Search
from app.vectors.client import ClientVectorStore
from app.vectors.edge import EdgeVectorStore

ROOT = Path(__file__).resolve().parent.parent
DIM = 8
SONGS = "songs"
FIELDS = {"genre": "keyword", "genres": "keyword", "explicit": "bool", "popularity": "integer"}


def unit(*components):
    """A DIM-d unit vector from its leading components."""
    v = np.zeros(DIM, dtype=np.float32)
    v[: len(components)] = components
    return v / np.linalg.norm(v)


def axis(i):
    return unit(*([0.0] * i + [1.0]))


@pytest.fixture(params=["edge", "client"])
def store(request, tmp_path):
    """A fresh store of each backend: Edge in tmp_path, qdrant-client in memory."""
    if request.param == "edge":
        s = create_vector_store(vectors_path=str(tmp_path / "vectors"))
    else:
        s = create_vector_store(qdrant_location=":memory:")
    yield s
    s.close()


@pytest.fixture
def songs(store):
    """The store with a small songs collection: 40 random songs with known payloads."""
    rng = np.random.default_rng(7)
    vectors = rng.standard_normal((40, DIM)).astype(np.float32)
    points = [
        Point(
            id=i + 1,
            vector=vectors[i],
            payload={
                "song_id": i + 1,
                "genre": ["pop", "rock", "jazz"][i % 3],
                "genres": [["pop", "dance"], ["rock"], ["jazz", "blues"]][i % 3],
                "explicit": i % 4 == 0,
                "popularity": i * 2,
            },
        )
        for i in range(40)
    ]
    store.ensure_collection(SONGS, DIM, FIELDS)
    store.upsert(SONGS, points)
    return store, {p.id: p for p in points}


def brute_force(points, query, keep=lambda p: True):
    """Ids by cosine similarity to query, best first, and their similarities."""
    q = np.asarray(query, dtype=np.float64) / np.linalg.norm(query)
    scored = []
    for p in points.values():
        if keep(p):
            v = np.asarray(p.vector, dtype=np.float64)
            scored.append((float(v @ q / np.linalg.norm(v)), p.id))
    scored.sort(reverse=True)
    return [i for _, i in scored], [s for s, _ in scored]


def test_ensure_collection_is_idempotent(store):
    store.ensure_collection(SONGS, DIM, FIELDS)
    store.upsert(SONGS, [Point(1, axis(0), {"genre": "pop"})])
    store.ensure_collection(SONGS, DIM, FIELDS)
    store.ensure_collection(SONGS, DIM, {**FIELDS, "emotion": "keyword"})
    assert store.collections() == [SONGS]
    assert store.count(SONGS) == 1


def test_ensure_collection_rejects_another_dimension(store):
    store.ensure_collection(SONGS, DIM)
    with pytest.raises(VectorStoreError, match="dim"):
        store.ensure_collection(SONGS, DIM * 2)


def test_upsert_count_retrieve_round_trip(store):
    store.ensure_collection(SONGS, DIM)
    assert store.count(SONGS, exact=False) == 0  # the read path's cheap emptiness check
    store.upsert(SONGS, [Point(1, [3.0, 4.0] + [0.0] * (DIM - 2), {"a": 1}), Point(2, list(axis(2)))])
    assert store.count(SONGS) == 2 and store.count(SONGS, exact=False) > 0
    vectors = store.retrieve(SONGS, [1, 2, 999])
    assert set(vectors) == {1, 2}  # unknown ids are left out
    # cosine collections store unit vectors
    assert np.allclose(vectors[1], unit(3.0, 4.0), atol=1e-6)
    assert np.allclose(vectors[2], axis(2), atol=1e-6)
    assert store.retrieve(SONGS, []) == {}


def test_search_returns_nearest_first_with_cosine_scores(songs):
    store, points = songs
    query = np.arange(1, DIM + 1, dtype=np.float32)
    hits = store.search(SONGS, query, k=5)
    expected_ids, expected_scores = brute_force(points, query)
    assert [h.id for h in hits] == expected_ids[:5]
    assert [h.score for h in hits] == pytest.approx(expected_scores[:5], abs=1e-5)
    assert hits[0].payload == points[hits[0].id].payload


@pytest.mark.parametrize(
    "payload, fields",
    [
        (True, None),
        (False, ()),
        (["genre", "popularity"], ("genre", "popularity")),
        ("genre", ("genre",)),
        (["no_such_field"], ()),
    ],
    ids=["all", "none", "some", "one-name", "unknown-field"],
)
def test_search_returns_only_the_payload_fields_asked_for(songs, payload, fields):
    store, points = songs
    query = np.arange(1, DIM + 1, dtype=np.float32)
    full = store.search(SONGS, query, k=5)
    hits = store.search(SONGS, query, k=5, payload=payload)
    assert [(h.id, h.score) for h in hits] == [(h.id, h.score) for h in full]  # the ranking is the same
    for hit in hits:
        original = points[hit.id].payload
        assert hit.payload == (
            original if fields is None else {f: original[f] for f in fields if f in original}
        )


@pytest.mark.parametrize(
    "must, keep",
    [
        ({"genre": "rock"}, lambda p: p.payload["genre"] == "rock"),
        ({"genre": ["rock", "jazz"]}, lambda p: p.payload["genre"] in ("rock", "jazz")),
        ({"genres": "blues"}, lambda p: "blues" in p.payload["genres"]),
        ({"explicit": True}, lambda p: p.payload["explicit"] is True),
        ({"explicit": False}, lambda p: p.payload["explicit"] is False),
        ({"explicit": [True]}, lambda p: p.payload["explicit"] is True),
        ({"popularity": 10}, lambda p: p.payload["popularity"] == 10),
        ({"popularity": Range(gte=20, lte=40)}, lambda p: 20 <= p.payload["popularity"] <= 40),
        ({"popularity": Range(lte=9)}, lambda p: p.payload["popularity"] <= 9),
        (
            {"genre": "pop", "explicit": True, "popularity": Range(gte=10)},
            lambda p: p.payload["genre"] == "pop" and p.payload["explicit"] and p.payload["popularity"] >= 10,
        ),
        ({"genre": []}, lambda p: False),
    ],
    ids=[
        "keyword",
        "any-of",
        "in-list-field",
        "bool-true",
        "bool-false",
        "bool-list",
        "int",
        "range",
        "range-open",
        "combined",
        "empty-list",
    ],
)
def test_must_filters(songs, must, keep):
    store, points = songs
    query = axis(1)
    expected_ids, _ = brute_force(points, query, keep)
    assert store.count(SONGS, must=must) == len(expected_ids)
    assert [h.id for h in store.search(SONGS, query, k=40, must=must)] == expected_ids


def test_should_needs_one_alternative_to_hold(songs):
    store, points = songs
    query = axis(2)
    should = [{"genres": "blues"}, {"genre": "pop", "explicit": True}]

    def keep(p):
        return "blues" in p.payload["genres"] or (p.payload["genre"] == "pop" and p.payload["explicit"])

    expected_ids, _ = brute_force(points, query, keep)
    hits = store.search(SONGS, query, k=40, should=should)
    assert expected_ids and [h.id for h in hits] == expected_ids

    def both(p):
        return keep(p) and p.payload["popularity"] >= 20

    expected_ids, _ = brute_force(points, query, both)
    hits = store.search(
        SONGS, query, k=40, must={"popularity": Range(gte=20)}, should=should, exclude_ids=expected_ids[:2]
    )
    assert [h.id for h in hits] == expected_ids[2:]


def test_excluded_ids_are_never_returned(songs):
    store, points = songs
    query = axis(0)
    nearest, _ = brute_force(points, query)
    excluded = set(nearest[:5])
    hits = store.search(SONGS, query, k=10, exclude_ids=excluded)
    assert [h.id for h in hits] == nearest[5:15]
    hits = store.search(SONGS, query, k=10, must={"genre": "pop"}, exclude_ids=excluded)
    assert hits and not excluded & {h.id for h in hits}


def test_recommend_positives_only(songs):
    store, points = songs
    liked = 3
    hits = store.recommend(SONGS, [liked], k=5)
    expected, _ = brute_force(points, points[liked].vector, lambda p: p.id != liked)
    assert [h.id for h in hits] == expected[:5]
    assert liked not in {h.id for h in store.recommend(SONGS, [liked], k=40)}


def test_recommend_negative_pulls_results_away(store):
    store.ensure_collection(SONGS, DIM)
    store.upsert(
        SONGS,
        [
            Point(1, axis(0), {"genre": "pop"}),  # the liked example
            Point(2, axis(1), {"genre": "pop"}),  # the disliked example
            Point(3, unit(1.0, 1.1), {"genre": "pop"}),  # nearest the liked one, nearer still to the disliked
            Point(4, unit(1.0, 0.0, 1.5), {"genre": "rock"}),  # less like the liked one, unlike the disliked
            Point(5, axis(3), {"genre": "pop"}),
        ],
    )
    without = store.recommend(SONGS, [1], k=3)
    assert [h.id for h in without][:2] == [3, 4]
    with_negative = store.recommend(SONGS, [1], [2], k=3)
    # 3 drops below even 5, which is nothing like either example
    assert [h.id for h in with_negative] == [4, 5, 3]
    assert not {1, 2} & {h.id for h in with_negative}
    # filters and exclusions apply to recommendations too
    assert [h.id for h in store.recommend(SONGS, [1], [2], k=3, exclude_ids=[4])] == [5, 3]
    assert [h.id for h in store.recommend(SONGS, [1], [2], k=3, must={"genre": "rock"})] == [4]
    assert store.recommend(SONGS, [999], k=3) == []  # unknown examples: nothing to be like


def test_sparse_search_ranks_by_dot_product(store):
    store.ensure_collection("users", DIM, {"tags": "keyword"}, sparse=True)
    store.upsert(
        "users",
        [
            Point(1, axis(0), {"tags": ["a"]}, sparse={1: 1.0, 2: 2.0}),
            Point(2, axis(1), {"tags": ["b"]}, sparse={2: 1.0, 3: 5.0}),
            Point(3, axis(2), {"tags": ["a"]}, sparse={7: 1.0}),
            Point(4, axis(3), {"tags": ["a"]}, sparse={3: 0.5}),
        ],
    )
    hits = store.search_sparse("users", {2: 1.0, 3: 1.0}, k=3)
    assert [h.id for h in hits] == [2, 1, 4]
    assert [h.score for h in hits] == pytest.approx([6.0, 2.0, 0.5])
    assert [h.id for h in store.search_sparse("users", {2: 1.0, 3: 1.0}, must={"tags": "a"})] == [1, 4]
    assert [h.id for h in store.search_sparse("users", {2: 1.0, 3: 1.0}, exclude_ids=[2])] == [1, 4]
    bare = store.search_sparse("users", {2: 1.0, 3: 1.0}, k=3, payload=False)
    assert [(h.id, h.payload) for h in bare] == [(h.id, {}) for h in hits]
    assert store.search("users", axis(1), k=1)[0].id == 2  # the dense vector lives alongside


def test_search_batch_answers_each_search_as_search_would(songs):
    store, points = songs
    nearest, _ = brute_force(points, axis(0))
    searches = [
        Search(axis(0), k=5),
        Search(axis(1), k=40, must={"genre": "rock"}),
        Search(axis(2), k=40, should=[{"genres": "blues"}, {"genre": "pop", "explicit": True}]),
        Search(np.arange(1, DIM + 1, dtype=np.float32), k=3, payload=["genre"]),
        Search(axis(0), k=5, exclude_ids=nearest[:2], payload=False),
    ]
    batch = store.search_batch(SONGS, searches)
    one_by_one = [
        store.search(SONGS, s.vector, s.k, s.must, s.exclude_ids, s.should, s.payload) for s in searches
    ]
    # the same hits; scores to float32 rounding (local mode scores a batch as one matrix product)
    assert [[(h.id, h.payload) for h in hits] for hits in batch] == [
        [(h.id, h.payload) for h in hits] for hits in one_by_one
    ]
    for hits, alone in zip(batch, one_by_one):
        assert [h.score for h in hits] == pytest.approx([h.score for h in alone], abs=1e-6)
    # ... and those are right, in the order the searches were given
    assert [h.id for h in batch[0]] == nearest[:5] and [h.id for h in batch[4]] == nearest[2:7]
    rock, _ = brute_force(points, axis(1), lambda p: p.payload["genre"] == "rock")
    assert [h.id for h in batch[1]] == rock
    assert all(set(h.payload) == {"genre"} for h in batch[3]) and all(h.payload == {} for h in batch[4])
    assert store.search_batch(SONGS, []) == []


def test_search_batch_mixes_sparse_and_dense_searches(store):
    store.ensure_collection("users", DIM, sparse=True)
    store.upsert(
        "users",
        [
            Point(1, axis(0), sparse={1: 1.0, 2: 2.0}),
            Point(2, axis(1), sparse={2: 1.0, 3: 5.0}),
            Point(3, axis(2), sparse={7: 1.0}),
        ],
    )
    batch = store.search_batch(
        "users",
        [
            Search(sparse={2: 1.0, 3: 1.0}, k=3, payload=False),
            Search(unit(0.5, 1.0), k=2, exclude_ids=[2]),
            Search(sparse={7: 1.0}, k=3, exclude_ids=[3]),
            Search(sparse={}, k=3),  # a user with no positive songs yet
        ],
    )
    assert [[h.id for h in hits] for hits in batch] == [[2, 1], [1, 3], [], []]
    assert [h.score for h in batch[0]] == pytest.approx([6.0, 2.0])
    assert [h.id for h in batch[1]] == [
        h.id for h in store.search("users", unit(0.5, 1.0), k=2, exclude_ids=[2])
    ]


@pytest.mark.parametrize(
    "arguments",
    [{}, {"vector": [1.0], "sparse": {1: 1.0}}, {"sparse": {1: 1.0}, "should": [{"tags": "a"}]}],
    ids=["neither-vector", "both-vectors", "sparse-with-should"],
)
def test_a_search_takes_one_kind_of_vector(arguments):
    with pytest.raises(ValueError):
        Search(**arguments)


def test_delete_hides_points_everywhere(songs):
    store, _ = songs
    gone = store.search(SONGS, axis(0), k=1)[0].id
    store.delete(SONGS, [gone, 12345])
    assert store.count(SONGS) == 39
    assert gone not in store.ids(SONGS)
    assert gone not in {h.id for h in store.search(SONGS, axis(0), k=40)}
    assert store.retrieve(SONGS, [gone]) == {}
    store.delete(SONGS, [])
    assert store.count(SONGS) == 39


def test_upsert_replaces_an_existing_point(store):
    store.ensure_collection(SONGS, DIM, FIELDS)
    store.upsert(SONGS, [Point(1, axis(0), {"genre": "pop", "popularity": 1})])
    store.upsert(SONGS, [Point(1, axis(1), {"genre": "rock"})])
    assert store.count(SONGS) == 1
    assert np.allclose(store.retrieve(SONGS, [1])[1], axis(1), atol=1e-6)
    hit = store.search(SONGS, axis(1), k=1)[0]
    assert hit.payload == {"genre": "rock"}  # replaced, not merged
    assert store.count(SONGS, must={"genre": "pop"}) == 0


def test_close_then_use_again_keeps_the_points(songs):
    store, points = songs
    store.close()
    assert store.count(SONGS) == len(points)  # reopened lazily
    assert store.search(SONGS, points[5].vector, k=1)[0].id == 5
    store.close()
    store.close()  # twice is fine


def test_ids_pages_through_large_collections(store):
    store.ensure_collection(SONGS, DIM)
    rng = np.random.default_rng(1)
    ids = set(range(10, 1510))
    store.upsert(SONGS, (Point(i, rng.standard_normal(DIM)) for i in ids))  # a generator is fine
    assert store.ids(SONGS) == ids
    assert store.count(SONGS) == 1500


def test_drop_collection_and_collections(store):
    assert store.collections() == []
    store.ensure_collection(SONGS, DIM)
    store.ensure_collection("users", DIM, sparse=True)
    assert store.collections() == ["songs", "users"]
    store.drop_collection(SONGS)
    store.drop_collection("missing")  # no error
    assert store.collections() == ["users"]
    with pytest.raises(VectorStoreError):
        store.count(SONGS)
    store.ensure_collection(SONGS, DIM)
    assert store.count(SONGS) == 0


def test_backend_failures_become_vector_store_errors(store):
    store.ensure_collection(SONGS, DIM)
    with pytest.raises(VectorStoreError):
        store.upsert(SONGS, [Point(1, [1.0, 0.0, 0.0])])
    with pytest.raises(VectorStoreError):
        store.search(SONGS, [1.0, 0.0, 0.0])
    with pytest.raises(VectorStoreError):
        store.search("missing", axis(0))
    with pytest.raises(VectorStoreError):
        store.search_batch("missing", [Search(axis(0)), Search(axis(1))])
    with pytest.raises(VectorStoreError):
        store.search_sparse(SONGS, {1: 1.0})  # created without a sparse vector
    with pytest.raises(VectorStoreError, match="invalid collection name"):
        store.ensure_collection("../escape", DIM)
    with pytest.raises(ValueError, match="unknown payload index kinds"):
        store.ensure_collection(SONGS, DIM, {"genre": "text"})  # a caller's bug, not a store failure


def test_concurrent_threads_share_one_store(store):
    store.ensure_collection(SONGS, DIM, FIELDS)
    errors = []

    def work(start):
        try:
            rng = np.random.default_rng(start)
            for i in range(start, start + 100, 10):
                batch = [Point(j, rng.standard_normal(DIM), {"genre": "pop"}) for j in range(i, i + 10)]
                store.upsert(SONGS, batch)
                assert len(store.search(SONGS, rng.standard_normal(DIM), k=5, must={"genre": "pop"})) == 5
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n * 1000 + 1,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert store.count(SONGS) == 400


# -- backend specifics ----------------------------------------------------------------------


def test_edge_reopens_with_points_config_and_indexes(tmp_path):
    path = tmp_path / "vectors"
    first = EdgeVectorStore(path)
    first.ensure_collection("users", DIM, {"tags": "keyword"}, sparse=True)
    first.upsert(
        "users",
        [
            Point(1, axis(0), {"tags": ["a"]}, sparse={3: 1.0}),
            Point(2, axis(1), {"tags": ["b"]}),
        ],
    )
    first.close()
    assert first.count("users") == 2  # a closed store reopens lazily
    first.close()

    second = EdgeVectorStore(path)
    try:
        assert second.collections() == ["users"]
        assert second.ids("users") == {1, 2}
        assert [h.id for h in second.search_sparse("users", {3: 2.0})] == [1]
        assert [h.id for h in second.search("users", axis(1), must={"tags": "b"})] == [2]
        second.ensure_collection("users", DIM, {"tags": "keyword"}, sparse=True)
        with pytest.raises(VectorStoreError, match="dim"):
            second.ensure_collection("users", DIM + 1)
    finally:
        second.close()


def _run_python(code):
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, capture_output=True, text=True, timeout=60
    )


def test_edge_small_writes_survive_a_killed_process_without_a_flush(tmp_path):
    path = tmp_path / "vectors"
    # The first write flushes (nothing was flushed yet); the next ones, within FLUSH_SECONDS,
    # are only in the write-ahead log when the process is killed.
    result = _run_python(f"""
        import os, signal
        from app.vectors import Point, create_vector_store
        store = create_vector_store(vectors_path={str(path)!r})
        store.ensure_collection("users", {DIM}, sparse=True)
        store.upsert("users", [Point(1, {list(map(float, axis(0)))!r}, {{}}, sparse={{3: 1.0}})])
        store.upsert("users", [Point(2, {list(map(float, axis(1)))!r}, {{}}, sparse={{4: 1.0}})])
        store.upsert("users", [Point(1, {list(map(float, axis(2)))!r}, {{}}, sparse={{5: 1.0}})])
        store.delete("users", [2])
        os.kill(os.getpid(), signal.SIGKILL)
        """)
    assert result.returncode == -9, result.stderr
    store = EdgeVectorStore(path)
    try:
        assert store.ids("users") == {1}
        assert [h.id for h in store.search("users", axis(2), k=1)] == [1]
        assert [h.id for h in store.search_sparse("users", {5: 1.0})] == [1]
    finally:
        store.close()


def test_edge_second_process_gets_a_helpful_locked_error(tmp_path):
    path = tmp_path / "vectors"
    holder = EdgeVectorStore(path)
    holder.ensure_collection(SONGS, DIM)
    holder.upsert(SONGS, [Point(1, axis(0))])
    try:
        result = _run_python(f"""
            from app.vectors import VectorStoreLocked, create_vector_store
            store = create_vector_store(vectors_path={str(path)!r})
            try:
                store.count("songs")
            except VectorStoreLocked as exc:
                print("LOCKED", exc)
            else:
                print("OPENED")
            """)
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith("LOCKED"), result.stdout + result.stderr
        message = result.stdout
        assert str(path / SONGS) in message
        assert "in use by another process" in message and "QDRANT_URL" in message
        assert holder.count(SONGS) == 1  # the holder is unaffected
    finally:
        holder.close()
    # once the holder lets go, another process opens it
    result = _run_python(f"""
        from app.vectors import create_vector_store
        print(create_vector_store(vectors_path={str(path)!r}).count("songs"))
        """)
    assert result.stdout.strip() == "1", result.stderr


def test_edge_drop_refuses_a_shard_another_process_holds(tmp_path):
    path = tmp_path / "vectors"
    holder = EdgeVectorStore(path)
    holder.ensure_collection(SONGS, DIM)
    holder.close()
    holder_code = textwrap.dedent(f"""
        import sys
        from app.vectors import create_vector_store
        store = create_vector_store(vectors_path={str(path)!r})
        store.count("songs")
        print("ready", flush=True)
        sys.stdin.read()  # hold the shard until the test closes our stdin
        """)
    with subprocess.Popen(
        [sys.executable, "-c", holder_code],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as proc:
        try:
            assert proc.stdout.readline().strip() == "ready"
            dropper = EdgeVectorStore(path)
            with pytest.raises(VectorStoreLocked):
                dropper.drop_collection(SONGS)
            assert dropper.collections() == [SONGS]
        finally:
            proc.stdin.close()
            proc.wait(timeout=30)


def test_client_local_folder_locked_by_another_process(tmp_path):
    folder = tmp_path / "qdrant"
    holder = ClientVectorStore(location=str(folder))
    holder.ensure_collection(SONGS, DIM)
    try:
        result = _run_python(f"""
            from app.vectors import VectorStoreLocked, create_vector_store
            try:
                create_vector_store(qdrant_location={str(folder)!r}).collections()
            except VectorStoreLocked as exc:
                print("LOCKED", exc)
            """)
        assert result.stdout.startswith("LOCKED"), result.stdout + result.stderr
        assert str(folder) in result.stdout and "QDRANT_URL" in result.stdout
    finally:
        holder.close()
    reopened = ClientVectorStore(location=str(folder))
    assert reopened.collections() == [SONGS]  # closing released the folder, the data stayed
    reopened.close()


def test_unreachable_server_is_a_vector_store_error():
    store = create_vector_store(qdrant_url="http://127.0.0.1:1")  # nothing listens on port 1
    assert store.backend == "qdrant-server"
    with pytest.raises(VectorStoreError, match=r"127\.0\.0\.1:1"):
        store.collections()
    with pytest.raises(VectorStoreError):
        store.search(SONGS, axis(0))


def test_create_vector_store_picks_the_backend(tmp_path):
    assert isinstance(create_vector_store(vectors_path=str(tmp_path)), EdgeVectorStore)
    assert create_vector_store(qdrant_location=":memory:").backend == "qdrant-local"
    server = create_vector_store(
        qdrant_url="http://q:6333", qdrant_location=":memory:", vectors_path=str(tmp_path)
    )
    assert server.backend == "qdrant-server"
    with pytest.raises(ValueError):
        create_vector_store()
    assert (DENSE, SPARSE) == ("dense", "sparse")


class _IndexedAtOnce(EdgeVectorStore):
    """The app's Edge config, but every segment indexed (HNSW + int8 copies) however small."""

    def _config(self, dim, sparse):
        config = super()._config(dim, sparse)
        return qe.EdgeConfig(
            vectors=config.vectors,
            hnsw_config=config.hnsw_config,
            quantization_config=config.quantization_config,
            optimizers=qe.EdgeOptimizersConfig(indexing_threshold=1),
        )


def test_edge_exact_search_reads_the_float_vectors_of_a_quantized_index(tmp_path):
    dim, n = 384, 2000
    vectors = np.random.default_rng(3).standard_normal((n, dim)).astype(np.float32)
    query = np.random.default_rng(4).standard_normal(dim).astype(np.float32)
    store = _IndexedAtOnce(tmp_path / "vectors")
    try:
        store.ensure_collection(SONGS, dim, FIELDS)
        store.upsert(SONGS, [Point(i + 1, vectors[i], {"explicit": i % 2 == 0}) for i in range(n)])
        store.optimize(SONGS)
        shard = store._shards.open(SONGS)
        assert shard.info().indexed_vectors_count == n
        sims = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)) @ (query / np.linalg.norm(query))
        # The int8 copies exist: scored from them alone, similarities are off by ~1e-3.
        request = qe.QueryRequest(
            limit=10,
            query=qe.Query.Nearest(query.tolist(), using=DENSE),
            params=qe.SearchParams(hnsw_ef=100, quantization=qe.QuantizationSearchParams(rescore=False)),
        )
        assert max(abs(p.score - sims[int(p.id) - 1]) for p in shard.query(request)) > 1e-4
        # Below EXACT_BELOW the store searches exactly, on the floats: numpy's order and scores.
        for must, keep in ((None, np.ones(n, bool)), ({"explicit": True}, np.arange(n) % 2 == 0)):
            hits = store.search(SONGS, query, k=20, must=must)
            want = np.argsort(-np.where(keep, sims, -np.inf))[:20] + 1
            assert [h.id for h in hits] == want.tolist()
            assert max(abs(h.score - sims[h.id - 1]) for h in hits) < 1e-5
    finally:
        store.close()


def test_edge_opens_a_collection_made_before_quantization(tmp_path):
    folder = tmp_path / "vectors" / SONGS
    folder.parent.mkdir()
    old = qe.EdgeConfig(  # what EdgeVectorStore created until int8 quantization was added
        vectors={DENSE: qe.EdgeVectorParams(size=DIM, distance=qe.Distance.Cosine)},
        hnsw_config=qe.HnswIndexConfig(m=16, ef_construct=100, full_scan_threshold=30),
    )
    shard = qe.EdgeShard.create(str(folder), old)
    shard.update(
        qe.UpdateOperation.upsert_points(
            [
                qe.Point(id=i + 1, vector={DENSE: axis(i).tolist()}, payload={"genre": "pop"})
                for i in range(DIM)
            ]
        )
    )
    shard.close()
    store = EdgeVectorStore(tmp_path / "vectors")
    try:
        store.ensure_collection(SONGS, DIM, FIELDS)
        assert store.count(SONGS) == DIM
        assert [h.id for h in store.search(SONGS, axis(2), k=1, must={"genre": "pop"})] == [3]
        store.upsert(SONGS, [Point(100, unit(1.0, 1.0), {"genre": "rock"})])
        store.optimize(SONGS)
        assert [h.id for h in store.search(SONGS, unit(1.0, 1.0), k=1)] == [100]
    finally:
        store.close()

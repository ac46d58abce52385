"""The engines on a dozen songs and a few users, with an in-memory vector store and no app."""

import numpy as np
import pytest

from app.recommend.collaborative import collaborative_recommendations, similar_users
from app.recommend.content import content_recommendations
from app.recommend.fusion import (
    DEFAULT_PARAMS,
    FusionParams,
    component_lists,
    diversify,
    for_you_recommendations,
    fuse,
    list_features,
)
from app.recommend.item_model import fit_item_model
from app.recommend.items import SONGS, USERS, Filters, Recommendation, SongInfo, UserContext
from app.recommend.knowledge import knowledge_recommendations
from app.recommend.popular import popular_recommendations
from app.recommend.registry import COMPONENTS
from app.recommend.similar import similar_songs
from app.vectors import Point, create_vector_store

DIM = 16
GENRES = {"rock": 0, "jazz": 1, "pop": 2}
# id: (title, artist, genre, emotion, explicit, popularity, flags)
SONG_TABLE = {
    1: ("Riff One", "Amps", "rock", "anger", True, 70, {"exercise"}),
    2: ("Riff Two", "Amps", "rock", "anger", False, 60, {"exercise"}),
    3: ("Riff Three", "Amps", "rock", "joy", False, 50, {"party"}),
    4: ("Stone Road", "Boulders", "rock", "joy", False, 40, {"driving"}),
    5: ("Stone Sky", "Boulders", "rock", "sadness", False, 90, set()),
    6: ("Blue Note", "Trio", "jazz", "sadness", False, 30, {"study"}),
    7: ("Late Set", "Trio", "jazz", "love", False, 20, {"study", "relaxation"}),
    8: ("Smoke Ring", "Quartet", "jazz", "sadness", False, 35, {"relaxation"}),
    9: ("Sugar", "Popstar", "pop", "joy", False, 95, {"party", "social"}),
    10: ("Candy", "Popstar", "pop", "joy", True, 85, {"party"}),
    11: ("Glitter", "Idol", "pop", "love", False, 80, {"social"}),
    12: ("Neon", "Idol", "pop", "surprise", False, 75, {"party"}),
}
FLAGS = ("party", "study", "relaxation", "exercise", "running", "yoga", "driving", "social", "morning")


def song_vector(song_id):
    rng = np.random.default_rng(song_id)
    vector = np.zeros(DIM)
    vector[GENRES[SONG_TABLE[song_id][2]]] = 1.0
    vector += 0.25 * rng.standard_normal(DIM)
    return vector / np.linalg.norm(vector)


def flag_payload(flags):
    from app.spotify_csv.vocab import ACTIVITY_FLAGS

    return {ACTIVITY_FLAGS[tag][0]: tag in flags for tag in FLAGS}


class DictCatalog:
    """CatalogData over the tables above."""

    def __init__(self, likes):
        self.likes = likes  # user id -> {song id: weight}
        self.added_vectors = {}  # songs a test adds to the store (and so to SQL) after the fact

    def songs(self, ids):
        return {
            i: SongInfo(i, t, a, g, e, x, p)
            for i in ids
            if i in SONG_TABLE
            for (t, a, g, e, x, p, _) in [SONG_TABLE[i]]
        }

    def positives(self, user_ids):
        return {u: dict(self.likes[u]) for u in user_ids if u in self.likes}

    def vectors(self, ids):
        known = {i: song_vector(i) for i in ids if i in SONG_TABLE}
        known.update({i: self.added_vectors[i] for i in ids if i in self.added_vectors})
        return {i: (v / np.linalg.norm(v)).astype(np.float32) for i, v in known.items()}

    def item_model(self):
        return fit_item_model(self.likes, l2=1.0, min_fans=1)

    def popular(self, k, filters, exclude):
        ranked = sorted(SONG_TABLE, key=lambda i: -SONG_TABLE[i][5])
        infos = self.songs(ranked)
        picks = [i for i in ranked if i not in exclude and filters.accepts(infos[i])][:k]
        return [(i, SONG_TABLE[i][5] / 100, f"Popular ({SONG_TABLE[i][5]}/100)") for i in picks]


LIKES = {  # users and the songs they like
    1: {1: 1.0, 2: 1.0},  # alice: rock
    2: {1: 1.0, 2: 1.0, 3: 1.0, 4: 0.8},  # bob: alice's clear neighbour, also likes 3 and 4
    3: {9: 1.0, 10: 1.0, 11: 1.0},  # carol: pop
    4: {6: 1.0, 7: 1.0},  # dave: jazz
}


def context(user_id, likes=None, dislikes=(), emotions=(), tags=(), preference=None):
    likes = LIKES.get(user_id, {}) if likes is None else likes
    history = {**likes, **dict.fromkeys(dislikes, -2.5)}
    taste = None
    if likes:
        taste = np.sum([song_vector(s) * w for s, w in likes.items()], axis=0)
        taste /= np.linalg.norm(taste)
    elif preference is not None:
        taste = preference
    verbs = dict.fromkeys(likes, "liked")
    return UserContext(
        user_id, taste, preference, tuple(emotions), tuple(tags), history, verbs, frozenset(history)
    )


@pytest.fixture(scope="module")
def store():
    store = create_vector_store(qdrant_location=":memory:")
    store.ensure_collection(SONGS, DIM, {"genres": "keyword"})
    store.ensure_collection(USERS, DIM, sparse=True)
    store.upsert(
        SONGS,
        [
            Point(
                i,
                song_vector(i).tolist(),
                {
                    "song_id": i,
                    "artist": a,
                    "genre": g,
                    "genres": [g],
                    "emotion": e,
                    "explicit": x,
                    "popularity": p,
                    **flag_payload(f),
                },
            )
            for i, (t, a, g, e, x, p, f) in SONG_TABLE.items()
        ],
    )
    store.upsert(
        USERS, [Point(u, context(u).taste.tolist(), {"user_id": u}, context(u).sparse) for u in LIKES]
    )
    return store


@pytest.fixture
def catalog():
    return DictCatalog(LIKES)


def test_content_finds_the_nearest_unheard_songs_and_names_the_liked_one(store, catalog):
    ctx = context(1, dislikes=[4])
    items = content_recommendations(ctx, store, catalog, k=4)
    ids = [i.song_id for i in items]
    assert not set(ids) & {1, 2, 4}  # liked and disliked songs never come back
    assert ids[0] in (3, 5)  # the other rock songs are nearest
    assert all(i.approach == "content" for i in items)
    assert items[0].reason in ("Because you liked 'Riff One' by Amps", "Because you liked 'Riff Two' by Amps")


def test_content_drops_near_duplicates_of_a_dislike(store, catalog):
    ctx = context(1)
    top = content_recommendations(ctx, store, catalog, k=3)[0].song_id
    twin = 100
    catalog.added_vectors[twin] = song_vector(top) + 0.01  # as SQL holds every indexed song's vector
    store.upsert(
        SONGS, [Point(twin, (song_vector(top) + 0.01).tolist(), {"song_id": twin, "genres": ["rock"]})]
    )
    try:
        assert twin in [i.song_id for i in content_recommendations(ctx, store, catalog, k=3)]
        disliked = context(1, dislikes=[top])
        ids = [i.song_id for i in content_recommendations(disliked, store, catalog, k=3)]
        assert top not in ids and twin not in ids and len(ids) == 3
    finally:
        store.delete(SONGS, [twin])


def test_content_respects_filters(store, catalog):
    items = content_recommendations(
        context(1), store, catalog, k=10, filters=Filters(genre="pop", no_explicit=True)
    )
    assert items and {i.song_id for i in items} <= {9, 11, 12}


def test_collaborative_recommends_what_a_clear_neighbour_liked(store, catalog):
    ctx = context(1)
    peers = similar_users(ctx, store)
    assert peers[0][0] == 2 and 1 not in [u for u, _ in peers]
    items = collaborative_recommendations(ctx, store, catalog, k=5)
    assert [i.song_id for i in items][:2] == [3, 4]  # bob liked 3 fully, 4 at 0.8
    assert items[0].reason == "Liked by 1 listener with similar taste"
    assert not {i.song_id for i in items} & {1, 2}


def test_collaborative_counts_every_similar_listener(store, catalog):
    # Eve likes songs 9 and 6: carol (pop) and dave (jazz) both overlap with her.
    ctx = context(5, likes={9: 1.0, 6: 1.0})
    items = collaborative_recommendations(ctx, store, catalog, k=10)
    ids = [i.song_id for i in items]
    assert {10, 11, 7} <= set(ids) and 9 not in ids and 6 not in ids
    filtered = collaborative_recommendations(ctx, store, catalog, k=10, filters=Filters(no_explicit=True))
    assert 10 not in [i.song_id for i in filtered]


def test_knowledge_works_with_no_activity_and_names_what_matched(store, catalog):
    preference = song_vector(9)  # stated preferences sit near the pop songs
    ctx = context(6, likes={}, emotions=["joy"], tags=["party"], preference=preference)
    items = knowledge_recommendations(ctx, store, catalog, k=5)
    assert items
    top = items[0]
    assert top.song_id in (9, 10)  # joyful party pop
    assert top.reason == "Matches your mood: joy, tag: party"
    assert all(SONG_TABLE[item.song_id][3] == "joy" for item in items)  # every pick is in the mood
    genre_items = knowledge_recommendations(
        context(6, likes={}, tags=["jazz"], preference=preference), store, catalog
    )
    assert genre_items and all(SONG_TABLE[i.song_id][2] == "jazz" for i in genre_items)
    assert "tag: jazz" in genre_items[0].reason


def test_a_longer_knowledge_list_starts_with_the_shorter_one(store, catalog):
    # For you asks each list for 3k songs; its knowledge part must rank as the Knowledge tab does.
    ctx = context(6, likes={}, emotions=["joy", "sadness"], tags=["party", "jazz"], preference=song_vector(6))
    lists = {k: [i.song_id for i in knowledge_recommendations(ctx, store, catalog, k=k)] for k in range(1, 8)}
    for k in range(1, 7):
        assert lists[k + 1][:k] == lists[k]

    class Recording:
        def __init__(self):
            self.sizes = []

        def search_batch(self, name, searches):
            self.sizes.extend(search.k for search in searches)
            return [[] for _ in searches]

    recording = Recording()
    three_tags = context(
        6, likes={}, emotions=["joy"], tags=["party", "jazz", "rock"], preference=song_vector(6)
    )
    for k in (10, 30):
        knowledge_recommendations(three_tags, recording, catalog, k=k)
    # The candidate pool is the same whether 10 or 30 songs are asked for, so the ranking is too.
    assert recording.sizes[0] == recording.sizes[-1] == 60


def test_knowledge_needs_stated_preferences(store, catalog):
    assert knowledge_recommendations(context(6, likes={}), store, catalog) == []


def test_popular_skips_the_library_and_obeys_filters(catalog):
    ctx = context(3)
    items = popular_recommendations(ctx, catalog, k=3, filters=Filters(no_explicit=True))
    assert [i.song_id for i in items] == [5, 12, 2]  # 9, 10 (explicit), 11 are excluded


def test_similar_songs_exclude_the_seed_and_dislikes(store, catalog):
    items = similar_songs(6, store, catalog, k=3, exclude={8})
    ids = [i.song_id for i in items]
    assert 6 not in ids and 8 not in ids and ids[0] == 7
    assert items[0].reason == "Same genre (jazz) as 'Blue Note' by Trio"
    assert similar_songs(999, store, catalog) == []


def test_rank_fusion_keeps_every_source_and_leads_with_the_strongest():
    lists = {
        "content": [
            Recommendation(1, 0.9, "content", "Because you liked X"),
            Recommendation(2, 0.8, "content", "B"),
        ],
        "collaborative": [Recommendation(2, 3.0, "collaborative", "Liked by 2 listeners with similar taste")],
    }
    fused = fuse(lists, DEFAULT_PARAMS, positives=5)
    assert [f.song_id for f in fused] == [2, 1]  # in two lists beats first in one
    # Song 2 is first in collaborative and second in content: collaborative gave more, so it leads.
    assert fused[0].sources == ("collaborative", "content")
    assert fused[0].reason == "Liked by 2 listeners with similar taste · B"
    assert fused[0].score == pytest.approx(61 / 61 + 61 / 62)


def test_weights_decide_which_list_leads_and_zero_drops_a_list():
    lists = {
        "content": [Recommendation(1, 0.9, "content", "C1"), Recommendation(2, 0.8, "content", "C2")],
        "collaborative": [
            Recommendation(2, 3.0, "collaborative", "K2"),
            Recommendation(3, 2.0, "collaborative", "K3"),
        ],
    }
    leaning = FusionParams({"content": 0.1, "collaborative": 1.0, "knowledge": 1.0, "item_based": 1.0})
    assert [f.song_id for f in fuse(lists, leaning, positives=5)] == [2, 3, 1]
    only_content = FusionParams({"content": 1.0, "collaborative": 0.0, "knowledge": 0.0, "item_based": 0.0})
    fused = fuse(lists, only_content, positives=5)
    assert [f.song_id for f in fused] == [1, 2] and fused[1].sources == ("content",)


def test_score_fusion_uses_the_margins_that_ranks_hide():
    lists = {
        "content": [
            Recommendation(1, 0.90, "content", "a"),
            Recommendation(2, 0.89, "content", "b"),
            Recommendation(3, 0.10, "content", "c"),
        ],
        "knowledge": [Recommendation(3, 1.0, "knowledge", "k3"), Recommendation(4, 0.0, "knowledge", "k4")],
    }
    # By rank, song 3 is third in one list and first in another: first overall.
    assert next(f.song_id for f in fuse(lists, DEFAULT_PARAMS, positives=0)) == 3
    # By score, content's 0.10 is the bottom of its list (feature 0): song 3 only ties song 1.
    by_score = FusionParams(method="score")
    assert [f.song_id for f in fuse(lists, by_score, positives=0)] == [1, 3, 2, 4]
    assert list_features(lists["content"], "score", 0)[2] == pytest.approx(0.79 / 0.80)


def test_evidence_blends_the_warm_and_the_cold_weights():
    params = FusionParams(
        {"content": 0.0, "collaborative": 1.0, "knowledge": 0.2, "item_based": 1.0},
        evidence_half=4.0,
        popularity=0.0,
        cold_weights={"content": 1.0, "collaborative": 0.0, "knowledge": 1.0, "item_based": 0.0},
        cold_popularity=0.5,
    )
    (new, new_prior), (active, active_prior) = params.user_weights(0), params.user_weights(36)
    assert (
        new == {"content": 1.0, "collaborative": 0.0, "knowledge": 1.0, "item_based": 0.0}
        and new_prior == 0.5
    )
    assert active["collaborative"] == pytest.approx(0.9) and active["content"] == pytest.approx(0.1)
    assert active_prior == pytest.approx(0.05)
    flat = FusionParams({"content": 1.0, "collaborative": 1.0, "knowledge": 1.0, "item_based": 1.0})
    assert flat.user_weights(0) == flat.user_weights(50)  # evidence_half 0: one global set


def test_fusion_params_round_trip_and_refuse_bad_files(tmp_path):
    params = FusionParams(
        {"content": 0.2, "collaborative": 1.0, "knowledge": 0.05, "item_based": 0.7},
        "score",
        10.0,
        3.0,
        0.1,
        per_artist=3,
        cold_weights={"content": 1.0, "collaborative": 0.0, "knowledge": 0.5, "item_based": 0.0},
        cold_popularity=0.2,
        meta={"source": "test"},
    )
    params.save(tmp_path / "w.json")
    loaded = FusionParams.load(tmp_path / "w.json")
    assert loaded == params and loaded.meta == {"source": "test"}
    for bad in (
        {"format": 2},
        {"format": 1, "weights": {"nope": 1.0}},
        {"format": 1, "method": "vote"},
        {"format": 1, "weights": {"content": -1}},
        {"format": 1, "per_artist": 0},
    ):
        with pytest.raises(ValueError):
            FusionParams.from_json(bad)


def test_diversify_caps_an_artist_in_the_top():
    items = [Recommendation(i, 1.0 / i, "for_you", "") for i in range(1, 8)]
    artists = {1: "A", 2: "A", 3: "A", 4: "B", 5: "A", 6: "C", 7: "C"}
    result = [i.song_id for i in diversify(items, artists.get, per_artist=2, top=4)]
    assert result == [1, 2, 4, 6, 3, 5, 7]


def test_for_you_fuses_the_three_and_never_repeats_the_library(store, catalog):
    ctx = context(1, emotions=["joy"], tags=["party"], preference=song_vector(3))
    items = for_you_recommendations(ctx, store, catalog, k=6)
    ids = [i.song_id for i in items]
    assert len(ids) == len(set(ids)) and not set(ids) & {1, 2}
    assert all(i.approach == "for_you" and i.sources for i in items)
    assert {s for i in items for s in i.sources} >= {"content", "collaborative", "knowledge", "item_based"}
    by_artist = {}
    for song_id in ids:
        by_artist[SONG_TABLE[song_id][1]] = by_artist.get(SONG_TABLE[song_id][1], 0) + 1
    assert max(by_artist.values()) <= 2


def test_for_you_runs_its_lists_together_batching_searches_and_reading_songs_once(store, catalog):
    ctx = context(1, dislikes=[6], emotions=["joy"], tags=["party"], preference=song_vector(3))
    batches, reads = [], []

    class CountingStore:
        def search_batch(self, name, searches):
            batches.append((name, len(searches)))
            return store.search_batch(name, searches)

    class CountingCatalog(DictCatalog):
        def songs(self, ids):
            reads.append(set(ids))
            return super().songs(ids)

    lists = component_lists(ctx, CountingStore(), CountingCatalog(LIKES), k=3)
    # Round one: content's and knowledge's song searches in one call, collaborative's two user
    # searches in another; then knowledge's second search (its moods alone: joy + party is short).
    assert batches == [("songs", 2), ("users", 2), ("songs", 1)]
    # One read of songs: what content and item-based explain with, and every candidate of every list.
    assert len(reads) == 1 and reads[0] >= {item.song_id for items in lists.values() for item in items}
    alone = {name: engine(ctx, store, catalog, k=9) for name, engine in COMPONENTS.items()}
    assert set(lists) == set(alone) and all(lists.values())
    for name, items in lists.items():
        assert [(i.song_id, i.reason) for i in items] == [(i.song_id, i.reason) for i in alone[name]]
        # local mode scores a batch as one matrix product: float32 rounding apart
        assert [i.score for i in items] == pytest.approx([i.score for i in alone[name]], abs=1e-6)

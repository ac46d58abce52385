"""Searches a user's own activity cannot change (the knowledge search by the preference vector) are
kept across the recomputations a like causes: served lists equal the store's own answers, and every
change that can alter such a search sends it again."""

import pytest
import sqlalchemy as sa

from app.extensions import cache, db, vector_store
from app.models import Song, User
from app.services.accounts import users
from app.services.accounts.audit import Actor
from app.services.activity.events import record_activity, revert_activity
from app.services.admin.songs import update_song
from app.services.recommendations import cache as rc
from app.services.recommendations import lists as recs
from app.services.recommendations import stable_searches as ss
from app.vectors.base import Hit, Search


class Spy:
    """The app's store, counting the dense searches sent to it by the preference vector."""

    def __init__(self, store, preference):
        self._store, self.preference, self.sent = store, preference, 0

    def __getattr__(self, name):
        return getattr(self._store, name)

    def search_batch(self, name, searches):
        self.sent += sum(
            1 for s in searches if s.vector is not None and list(s.vector) == list(self.preference)
        )
        return self._store.search_batch(name, searches)


@pytest.fixture(params=["local", "edge"])
def app_settings(request, tmp_path):
    """Both backends: qdrant-client's local mode (the suite's default) and Qdrant Edge, as make run serves."""
    if request.param == "edge":
        return {"QDRANT_LOCATION": None, "VECTORS_PATH": str(tmp_path / "vectors")}
    return {"QDRANT_LOCATION": ":memory:"}


@pytest.fixture
def alice(app, user, seeded):
    """alice's id, with a profile (joy; party, driving) and a spy on the store that counts her searches."""
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == "alice"))
        users.update_profile(user, 30, "Parties and long drives", ["joy"], ["party", "driving"])
        preference = recs.user_context(user).preference
        assert preference is not None
        vector_store.override(app, Spy(vector_store(), preference))
        return user.id


def fresh(app, user_id, approach="knowledge", k=10):
    """(kept, direct, sent): the list served with kept searches, the list the store's own answers
    give, and how many searches by the preference vector the kept list sent to the store."""
    with app.app_context():
        user = db.session.get(User, user_id)
        spy = vector_store()
        before = spy.sent
        kept = recs.recommend_for(user, approach, k)
        searched = spy.sent - before
        original = ss.wrap
        ss.wrap = lambda store, stable: store
        try:
            direct = recs._compute(user, approach, k, recs.Filters())
        finally:
            ss.wrap = original
        return kept, direct, searched


def ids(result):
    return [item["song"]["id"] for item in result["items"]]


@pytest.mark.parametrize("approach", ["knowledge", "for_you"])
def test_a_like_keeps_the_search_and_the_list_equals_the_stores(app, alice, approach):
    first, direct, searched = fresh(app, alice, approach)
    assert first == direct and first["items"] and searched >= 1
    for liked in ids(first)[:3]:
        with app.app_context():
            record_activity(alice, liked, "like")
        served, direct, searched = fresh(app, alice, approach)
        assert liked not in ids(served)
        assert served == direct
        assert searched == 0


def test_the_knowledge_tab_after_for_you_is_served_from_its_search(app, alice):
    # The pages' k (12): For you asks knowledge for 72 candidates, the tab for 40.
    assert fresh(app, alice, "for_you", k=12)[2] >= 1
    served, direct, searched = fresh(app, alice, "knowledge", k=12)
    assert served == direct and served["items"]
    assert searched == 0
    # "Show more" asks for 50 songs, a pool of 100: more than the entry holds unless it holds every
    # match there is (then it serves any k); either way the list is the store's own.
    longer, direct, _ = fresh(app, alice, "knowledge", k=50)
    assert longer == direct and len(longer["items"]) > 12
    # After a like, whichever entry is kept now serves both lists.
    with app.app_context():
        record_activity(alice, ids(longer)[0], "like")
    for approach in ("for_you", "knowledge"):
        served, direct, searched = fresh(app, alice, approach, k=12)
        assert served == direct and searched == 0


def test_an_undone_like_sends_the_search_again(app, alice):
    first, _, _ = fresh(app, alice)
    song = ids(first)[0]
    with app.app_context():
        record_activity(alice, song, "like")
    assert fresh(app, alice)[2] == 0  # served from the entry kept before the like
    with app.app_context():
        cache.clear()  # evicted: the next entry is kept with the liked song excluded
    assert fresh(app, alice)[2] >= 1
    with app.app_context():
        # An undone like leaves no state: the song leaves the library and may be an answer again.
        assert revert_activity(alice, song, "unlike") is None
    served, direct, searched = fresh(app, alice)
    assert served == direct and song in ids(served)
    assert searched >= 1


def test_a_profile_save_sends_the_search_again(app, alice):
    fresh(app, alice)
    with app.app_context():
        user = db.session.get(User, alice)
        users.update_profile(user, 30, "Quiet evenings", ["sadness"], ["chill"])
        vector_store().preference = recs.user_context(user).preference
    served, direct, searched = fresh(app, alice)
    assert served == direct and served["items"]
    assert {item["song"]["emotion"] for item in served["items"]} == {"sadness"}
    assert searched >= 1


def test_an_admin_edit_of_a_song_makes_kept_searches_stale(app, alice):
    first, _, _ = fresh(app, alice)
    with app.app_context():
        generation = ss.generation()
        song = db.session.get(Song, ids(first)[0])
        update_song(song, {"title": song.title + " (remastered)"}, Actor(name="ops", via="cli"))
        assert ss.generation() != generation
    served, direct, searched = fresh(app, alice)
    assert served == direct and searched >= 1
    assert served["items"][0]["song"]["title"].endswith("(remastered)")


def test_kept_searches_expire_with_the_ttl(app, alice):
    now = [1_000_000.0]
    app.extensions[rc.CLOCK] = lambda: now[0]
    first, _, _ = fresh(app, alice)
    with app.app_context():
        record_activity(alice, ids(first)[0], "like")
    now[0] += rc.DEFAULT_TTL - 1  # still fresh
    assert fresh(app, alice)[2] == 0
    with app.app_context():
        record_activity(alice, ids(first)[1], "like")
    now[0] += 1  # the entry is as old as the TTL: stale
    served, direct, searched = fresh(app, alice)
    assert served == direct and searched >= 1


def test_searches_by_other_vectors_are_not_kept(app, alice):
    with app.app_context():
        store = vector_store()
        user = db.session.get(User, alice)
        taste = recs.user_context(user).taste
        wrapped = ss.wrap(store, store.preference)
        search = Search(taste, k=5)
        assert wrapped.search_batch("songs", [search]) == store.search_batch("songs", [search])
        assert not wrapped._cacheable(search)


def test_a_cache_that_is_off_leaves_the_store_alone(app, alice):
    app.config["RECOMMENDATION_CACHE_TTL"] = 0
    with app.app_context():
        store = vector_store()
        assert ss.wrap(store, store.preference) is store
        assert ss.wrap(store, None) is store


def entry(found, k, excluded=(), complete=False):
    hits = [Hit(i, 1.0 - i / 100, {"n": i}) for i in found]
    kept = ss.to_entry(hits, Search([1.0, 0.0], k=len(hits) + (1 if complete else 0)), frozenset(excluded))
    assert kept["complete"] == complete
    return kept


def test_served_answers_from_an_entry():
    search = Search([1.0, 0.0], k=3)
    kept = entry(range(1, 6), 3, excluded={9})
    # Excluding more than the entry did: the rest, best first.
    assert ss.served(kept, search, frozenset({9, 1, 3})) == [
        Hit(2, 0.98, {"n": 2}),
        Hit(4, 0.96, {"n": 4}),
        Hit(5, 0.95, {"n": 5}),
    ]
    # Too few left: the entry cannot tell what comes after its last answer.
    assert ss.served(kept, search, frozenset({9, 1, 2, 3})) is None
    # An id the entry excluded is no longer excluded: it may belong in the answer.
    assert ss.served(kept, search, frozenset({1})) is None
    # An entry holding every match there is answers short.
    assert [h.id for h in ss.served(entry([1, 2], 3, complete=True), search, frozenset({1}))] == [2]


def test_keys_name_the_query_filters_payload_and_generation_but_not_k_or_exclusions():
    base = Search([1.0, 0.0], k=3, must={"emotion": ["joy"]}, should=[{"genres": "rock"}], payload=["x"])
    key = ss.search_key("songs", base, "7")
    # Another k or other excluded ids: the same entry, which serves them while it can.
    same = Search([1.0, 0.0], 40, {"emotion": ["joy"]}, {5, 6}, [{"genres": "rock"}], ["x"])
    assert ss.search_key("songs", same, "7") == key
    for other in (
        Search([0.0, 1.0], k=3, must=base.must, should=base.should, payload=base.payload),
        Search([1.0, 0.0], k=3, must={"emotion": ["sadness"]}, should=base.should, payload=base.payload),
        Search([1.0, 0.0], k=3, must=base.must, should=[{"genres": "pop"}], payload=base.payload),
        Search([1.0, 0.0], k=3, must=base.must, should=base.should, payload=True),
    ):
        assert ss.search_key("songs", other, "7") != key
    assert ss.search_key("songs", base, "8") != key
    assert ss.search_key("users", base, "7") != key


class Ranked:
    """A store whose every search ranks the ids 1..100 in order, counting the searches sent."""

    backend, optimize_every = "ranked", None

    def __init__(self):
        self.asked = []

    def search_batch(self, name, searches):
        self.asked.extend(s.k for s in searches)
        return [
            [Hit(i, 1 - i / 1000) for i in range(1, 101) if i not in set(s.exclude_ids)][: s.k]
            for s in searches
        ]


def test_an_entry_serves_smaller_pools_and_is_replaced_for_larger_ones(app):
    store, vector = Ranked(), [1.0, 0.0]
    with app.app_context():
        kept = ss.StableSearches(store, vector, lambda: "g")

        def ask(k, excluded=()):
            return [h.id for h in kept.search_batch("songs", [Search(vector, k, exclude_ids=excluded)])[0]]

        assert ask(10) == list(range(1, 11)) and store.asked == [10 + ss.MARGIN]
        assert ask(20) == list(range(1, 21)) and len(store.asked) == 1  # 26 kept: enough
        assert ask(30) == list(range(1, 31)) and store.asked[1:] == [30 + ss.MARGIN]  # too few: replaced
        assert ask(10) == list(range(1, 11)) and len(store.asked) == 2
        # 16 newly excluded answers use the margin up; the 17th sends the search again.
        assert ask(30, set(range(1, 17))) == list(range(17, 47)) and len(store.asked) == 2
        assert ask(30, set(range(1, 18))) == list(range(18, 48)) and store.asked[2:] == [30 + ss.MARGIN]
        # Another query vector is never kept.
        kept.search_batch("songs", [Search([0.0, 1.0], 5)])
        kept.search_batch("songs", [Search([0.0, 1.0], 5)])
        assert store.asked[3:] == [5, 5]

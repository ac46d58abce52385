"""The per-process data caches of the read path: neighbours' positive songs and the ranking of liked songs."""

import sqlalchemy as sa

from app.extensions import db
from app.models import Song, User, UserSong
from app.recommend.items import Filters
from app.services.activity.events import record_activity
from app.services.activity.fans import FanRanking, read_ranking
from app.services.ops.seeding import seed_activities, seed_users
from app.services.recommendations import peer_positives
from app.services.recommendations.sql_catalog import SqlCatalog

from .conftest import statements_sent


def users():
    query = sa.select(User).order_by(User.id)
    return db.session.scalars(query).all()


def unheard(user_id, count=1):
    heard = sa.select(UserSong.song_id).where(UserSong.user_id == user_id)
    return db.session.scalars(
        sa.select(Song.id).where(Song.id.not_in(heard)).order_by(Song.id).limit(count)
    ).all()


def test_cached_positives_equal_sql_and_follow_every_change(app, seeded):
    with app.app_context():
        cache = peer_positives.PositivesCache()
        ids = [u.id for u in users()]
        assert cache.positives(ids) == SqlCatalog().positives(ids) and cache.reads == len(ids)
        assert cache.positives(ids) == SqlCatalog().positives(ids) and cache.reads == len(
            ids
        )  # nothing re-read
        first, second = ids[0], ids[1]
        song = unheard(first)[0]
        record_activity(first, song, "like")
        after = cache.positives([first, second])
        assert song in after[first] and cache.reads == len(ids) + 1  # only the user who changed is re-read
        assert after == SqlCatalog().positives([first, second])
        record_activity(first, song, "unlike")
        assert song not in cache.positives([first])[first]


def test_the_service_uses_one_cache_per_app_and_sees_a_neighbours_like_at_once(app, seeded):
    with app.app_context():
        cache = peer_positives.cache()
        assert peer_positives.cache() is cache
        neighbour = users()[2].id
        before = cache.positives([neighbour])
        song = unheard(neighbour)[0]
        record_activity(neighbour, song, "like")
        assert song not in before[neighbour] and song in cache.positives([neighbour])[neighbour]


def test_seeding_activity_bumps_the_version_so_no_cache_keeps_an_empty_history(app, demo_songs):
    with app.app_context():
        seed_users(2, seed=5)
        cache = peer_positives.PositivesCache()
        ids = [u.id for u in users()]
        assert cache.positives(ids) == {}
        seed_activities(per_user=10, seed=5)
        assert set(cache.positives(ids)) == set(ids)


def test_a_new_user_given_a_deleted_users_id_is_not_served_the_old_songs(app, seeded):
    with app.app_context():
        cache = peer_positives.PositivesCache()
        last = users()[-1]
        assert cache.positives([last.id])[last.id]
        last_id, version = last.id, last.rec_version
        db.session.execute(sa.delete(UserSong).where(UserSong.user_id == last_id))
        db.session.delete(last)
        db.session.commit()
        db.session.add(User(id=last_id, username="newcomer", password_hash="x", rec_version=version))
        db.session.commit()
        assert cache.positives([last_id]) == {}


def test_the_least_recently_used_users_leave_a_full_cache(app, seeded):
    with app.app_context():
        cache = peer_positives.PositivesCache(max_users=3)
        ids = [u.id for u in users()]
        cache.positives(ids[:3])
        cache.positives(ids[:1])  # the first is used again: the second is now the oldest
        cache.positives(ids[3:4])
        reads = cache.reads
        cache.positives(ids[:1])
        assert cache.reads == reads  # kept
        cache.positives(ids[1:2])
        assert cache.reads == reads + 1  # dropped, read again


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_fan_ranking_is_reread_after_its_ttl_only(app, seeded):
    with app.app_context():
        clock = Clock()
        ranking = FanRanking(ttl=60, clock=clock)
        before = ranking.rows()
        fans = {row.id: row.fans for row in before}
        user = users()[0]
        song = unheard(user.id)[0]
        record_activity(user.id, song, "like")
        clock.now += 59
        assert ranking.rows() is before  # within the TTL: kept
        clock.now += 1
        after = {row.id: row.fans for row in ranking.rows()}
        assert after[song] == fans.get(song, 0) + 1


def test_popular_ranks_by_fans_then_spotify_popularity_with_filters_and_exclusions(app, seeded):
    with app.app_context():
        ranked = read_ranking()
        assert [(-r.fans, -(r.popularity or 0), r.id) for r in ranked] == sorted(
            (-r.fans, -(r.popularity or 0), r.id) for r in ranked
        )
        catalog = SqlCatalog(fans=FanRanking(ttl=60))
        top = catalog.popular(5, Filters(), exclude=set())
        assert [song_id for song_id, _, _ in top] == [r.id for r in ranked[:5]]
        assert top[0][2].startswith("Popular here: liked by")
        skipped = catalog.popular(5, Filters(), exclude={ranked[0].id})
        assert [song_id for song_id, _, _ in skipped] == [r.id for r in ranked[1:6]]
        clean = catalog.popular(8, Filters(no_explicit=True), exclude=set())
        explicit = set(db.session.scalars(sa.select(Song.id).where(Song.explicit.is_(True))))
        assert len(clean) == 8 and not {song_id for song_id, _, _ in clean} & explicit
        # More than the liked songs: the rest by Spotify popularity, none twice, none excluded.
        everything = catalog.popular(len(ranked) + 20, Filters(), exclude={ranked[1].id})
        ids = [song_id for song_id, _, _ in everything]
        assert len(ids) == len(set(ids)) == len(ranked) + 20 and ranked[1].id not in ids
        rest = everything[len(ranked) - 1 :]
        assert all(reason.startswith("Popular on Spotify") for _, _, reason in rest)
        assert [score for _, score, _ in rest] == sorted((score for _, score, _ in rest), reverse=True)


def test_a_catalog_reads_each_song_once_a_request_even_one_that_does_not_exist(app, seeded):
    # For you's lists and its fusion ask for overlapping songs: one SqlCatalog serves one request.
    with app.app_context():
        ids = db.session.scalars(sa.select(Song.id).order_by(Song.id).limit(3)).all()
        gone = max(ids) + 1_000_000
        catalog = SqlCatalog()
        with statements_sent() as statements:
            first = catalog.songs([*ids, gone])
            again = catalog.songs([ids[0], gone])
        assert set(first) == set(ids) and again == {ids[0]: first[ids[0]]}
        assert len([s for s in statements if "FROM songs" in s]) == 1
        song = db.session.get(Song, ids[0])
        assert (first[ids[0]].title, first[ids[0]].artist, first[ids[0]].popularity) == (
            song.title,
            song.artist,
            song.popularity or 0,
        )

"""The recommendation service in the app: every approach, exclusions, freshness, degraded mode."""

import pytest
import sqlalchemy as sa

from app.extensions import db, vector_store
from app.models import Song, User, UserSong
from app.recommend.items import Filters
from app.services.accounts import users
from app.services.activity.events import record_activity
from app.services.recommendations.lists import APPROACHES, recommend_for, similar_songs
from app.vectors import VectorStoreError


def library(user_id):
    return set(db.session.scalars(sa.select(UserSong.song_id).where(UserSong.user_id == user_id)))


@pytest.mark.parametrize("approach", APPROACHES)
def test_every_approach_answers_with_reasons_and_no_library_songs(app, seeded, approach):
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == "user3"))
        result = recommend_for(user, approach, k=10)
        assert result["degraded"] is False and result["approach"] == approach
        items = result["items"]
        assert len(items) == 10
        ids = [i["song"]["id"] for i in items]
        assert len(set(ids)) == 10 and not set(ids) & library(user.id)
        assert all(i["reason"] and i["sources"] for i in items)
        scores = [i["score"] for i in items]
        if approach != "knowledge":  # knowledge re-ranks with bonuses, still sorted
            assert scores == sorted(scores, reverse=True)


def test_filters_apply_to_every_approach(app, seeded):
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == "user1"))
        for approach in APPROACHES:
            items = recommend_for(user, approach, k=10, filters=Filters(no_explicit=True))["items"]
            assert items and not any(i["song"]["explicit"] for i in items), approach


def test_a_like_is_reflected_in_the_next_recommendations(app, seeded):
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == "user2"))
        first = recommend_for(user, "content", k=5)["items"][0]["song"]["id"]
        record_activity(user.id, first, "like")
        again = [i["song"]["id"] for i in recommend_for(user, "content", k=5)["items"]]
        assert first not in again
        reasons = [i["reason"] for i in recommend_for(user, "content", k=20)["items"]]
        title = db.session.get(Song, first).title
        assert any(title in r for r in reasons)  # the new like is already a reason


def test_a_new_user_with_stated_preferences_gets_knowledge_and_content(app, seeded):
    with app.app_context():
        new = users.register_user("newbie", "long-password")
        users.update_profile(new, 22, "Parties every weekend", ["joy"], ["party"])
        knowledge = recommend_for(new, "knowledge", k=10)["items"]
        assert knowledge and all(i["song"]["emotion"] == "joy" for i in knowledge)
        assert any("party" in i["reason"] for i in knowledge)
        assert recommend_for(new, "content", k=10)["items"]
        assert recommend_for(new, "for_you", k=10)["items"]


def test_a_user_with_nothing_gets_popular_songs_for_you(app, seeded):
    with app.app_context():
        blank = users.register_user("blank", "long-password")
        assert recommend_for(blank, "content", k=5)["items"] == []
        assert recommend_for(blank, "knowledge", k=5)["items"] == []
        popular = recommend_for(blank, "popular", k=5)["items"]
        assert len(popular) == 5 and all(i["reason"].startswith("Popular") for i in popular)
        for_you = recommend_for(blank, "for_you", k=5)
        assert [i["song"]["id"] for i in for_you["items"]] == [i["song"]["id"] for i in popular]
        assert for_you["degraded"] is False


def test_vector_store_down_degrades_to_popular(app, seeded, monkeypatch):
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == "user4"))

        def down(*args, **kwargs):
            raise VectorStoreError("connection refused")

        monkeypatch.setattr(vector_store(), "search", down)
        monkeypatch.setattr(vector_store(), "search_batch", down)  # the engines' searches go through it
        monkeypatch.setattr(vector_store(), "retrieve", down)
        for approach in ("content", "collaborative", "knowledge", "for_you"):
            result = recommend_for(user, approach, k=5)
            assert result["degraded"] is True
            assert len(result["items"]) == 5 and all(i["approach"] == "popular" for i in result["items"])
            assert not {i["song"]["id"] for i in result["items"]} & library(user.id)
        song = db.session.scalar(sa.select(Song).order_by(Song.id))
        radio = similar_songs(song, k=5)
        assert radio["degraded"] is True and song.id not in [i["song"]["id"] for i in radio["items"]]


def test_similar_songs_leave_out_the_listeners_dislikes(app, seeded):
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == "user5"))
        song = db.session.scalar(sa.select(Song).order_by(Song.id))
        before = [i["song"]["id"] for i in similar_songs(song, k=5, user=user)["items"]]
        assert song.id not in before and len(before) == 5
        record_activity(user.id, before[0], "dislike")
        after = [i["song"]["id"] for i in similar_songs(song, k=5, user=user)["items"]]
        assert before[0] not in after


def test_bad_arguments_are_value_errors(app, seeded):
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == "user1"))
        for approach, k in (("magic", 10), ("content", 0), ("content", 101), ("content", "10")):
            with pytest.raises(ValueError):
                recommend_for(user, approach, k)

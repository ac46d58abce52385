"""The "Your taste" page: the map's math (no app), then the page with seeded users and songs."""

import re
import threading

import numpy as np
import pytest
import sqlalchemy as sa

from app.taste_map import (
    HEIGHT,
    PAD,
    WIDTH,
    bars_width,
    canvas_points,
    dot_path,
    fit_projection,
    fold_others,
    project,
    sample_indices,
    stacked_bars,
    top_keys,
)

from .conftest import AuthActions
from .test_accessibility import audit

# -- the math ------------------------------------------------------------------------------------


def two_clusters(n=200, dim=16, seed=0):
    """Two blobs apart along a known direction, with small noise elsewhere."""
    rng = np.random.default_rng(seed)
    direction = np.zeros(dim)
    direction[3] = 1.0
    labels = rng.integers(0, 2, n)
    points = rng.normal(0, 0.05, (n, dim)) + np.where(labels[:, None] == 1, 1.0, -1.0) * direction
    return points, labels, direction


def test_first_axis_is_the_direction_of_most_variance():
    points, labels, direction = two_clusters()
    projection = fit_projection(points)
    assert abs(projection.axes[0] @ direction) > 0.99
    assert projection.explained[0] > 0.9
    x = project(projection, points)[:, 0]
    assert (x[labels == 1] > 0).all() and (x[labels == 0] < 0).all()  # the blobs land apart


def test_a_refit_of_the_same_rows_draws_the_same_map():
    points, _, _ = two_clusters()
    a = fit_projection(points)
    b = fit_projection(np.random.default_rng(5).permutation(points))
    assert np.allclose(a.axes, b.axes, atol=1e-8)  # same signs too: SVD's are arbitrary
    assert np.allclose(canvas_points(a, points), canvas_points(b, points))


def test_canvas_points_stay_inside_the_box():
    points, _, _ = two_clusters()
    projection = fit_projection(points)
    far = np.vstack([points, 50 * points[:3], -50 * points[:3]])  # outliers land on the edge
    xy = canvas_points(projection, far)
    assert (xy[:, 0] >= PAD).all() and (xy[:, 0] <= WIDTH - PAD).all()
    assert (xy[:, 1] >= PAD).all() and (xy[:, 1] <= HEIGHT - PAD).all()
    assert xy[:, 0].max() - xy[:, 0].min() > WIDTH / 2  # and they spread over it


def test_too_few_vectors_to_fit():
    with pytest.raises(ValueError):
        fit_projection(np.ones((2, 8)))


def test_dot_path_has_one_dot_per_point():
    path = dot_path(np.array([[1.0, 2.0], [3.25, 4.0]]))
    assert path == "M1.0 2.0h0M3.2 4.0h0"


def test_samples_are_seeded_and_distinct():
    a, b = sample_indices(1000, 50, seed=3), sample_indices(1000, 50, seed=3)
    assert (a == b).all() and len(set(a.tolist())) == 50
    assert sorted(sample_indices(10, 50, seed=3).tolist()) == list(range(10))


def test_stacked_bars_show_each_months_mix():
    counts = {"2026-01": {"joy": 3, "sadness": 1}, "2025-12": {"love": 2}, "2026-02": {"fear": 9}}
    bars = stacked_bars(counts, ["joy", "sadness", "love"], height=100)
    assert [bar.month for bar in bars] == ["2025-12", "2026-01"]  # February has only other moods
    assert [bar.label for bar in bars] == ["Dec 2025", "Jan 2026"]  # the first bar and January carry the year
    january = bars[1]
    assert january.total == 4
    assert [(s.key, s.count, s.y, s.height) for s in january.segments] == [
        ("joy", 3, 0, 75),
        ("sadness", 1, 75, 25),
    ]
    assert bars[0].x > 0 and january.x > bars[0].x + bars[0].width  # room for the first label, no overlap
    assert bars_width(bars) > january.x + january.width
    assert stacked_bars({}, ["joy"]) == [] and bars_width([]) == 0


def test_stacked_bars_keep_the_last_months():
    counts = {f"2025-{m:02d}": {"joy": m} for m in range(1, 13)} | {"2026-01": {"joy": 1}}
    assert [bar.month for bar in stacked_bars(counts, ["joy"], max_bars=3)] == [
        "2025-11",
        "2025-12",
        "2026-01",
    ]


def test_other_genres_fold_together():
    counts = {"2026-01": {"rock": 5, "pop": 2, "jazz": 1}, "2026-02": {"pop": 4, "folk": 1}}
    assert top_keys(counts, 2) == ["pop", "rock"]
    assert fold_others(counts, ["pop", "rock"], "other") == {
        "2026-01": {"pop": 2, "rock": 5, "other": 1},
        "2026-02": {"pop": 4, "other": 1},
    }


# -- the page ------------------------------------------------------------------------------------


def login(client, username):
    response = AuthActions(client).login(username, f"{username}@000")
    assert response.status_code == 302


def marked(html, kind):
    return {int(i) for i in re.findall(rf'class="taste-mark taste-mark-{kind}" data-song-id="(\d+)"', html)}


def positive_song_ids(app, username):
    from app.extensions import db
    from app.models import User, UserSong
    from app.vectors.schema import interaction_weight

    with app.app_context():
        user_id = db.session.scalar(sa.select(User.id).where(User.username == username))
        rows = db.session.scalars(sa.select(UserSong).where(UserSong.user_id == user_id)).all()
        return {
            r.song_id
            for r in rows
            if interaction_weight(r.play_count, r.liked, r.rating, r.bookmarked, r.disliked) > 0
        }


def test_the_page_needs_a_login(client):
    response = client.get("/taste/")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_the_map_marks_the_users_songs_and_recommendations(app, client, seeded):
    from app.extensions import db
    from app.models import User
    from app.services.recommendations.lists import recommend_for

    login(client, "user0")
    response = client.get("/taste/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'role="img" aria-labelledby="taste-map-title taste-map-desc"' in html
    assert re.search(
        r'<desc id="taste-map-desc">300 of 300 songs in the catalog drawn as dots coloured by mood', html
    )
    # Only user0's own positive songs are marked, and all of them (fewer than the page's limit).
    own = positive_song_ids(app, "user0")
    assert own and marked(html, "own") == own
    assert own != positive_song_ids(app, "user1")
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == "user0"))
        expected = {item["song"]["id"] for item in recommend_for(user, "for_you", 12)["items"]}
    assert expected and marked(html, "for-you") == expected
    # Every marked song is also a link in the lists, for those who can't see the map.
    for song_id in own | expected:
        assert f'href="/songs/{song_id}"' in html
    assert 'class="taste-you"' in html  # their taste vector
    # Dots: every mood of the sample drawn, as many dots as the 300 songs with vectors.
    dots = re.findall(r'<path d="([^"]+)" stroke="#[0-9A-F]{6}" data-mood="(\w+)"', html)
    assert sum(d.count("h0") for d, _ in dots) == 300
    assert {mood for _, mood in dots} >= {"joy", "sadness"}
    # Moods and genres by month, with a table saying the same.
    assert 'id="moods-chart"' in html and 'id="genres-chart"' in html
    assert html.count('class="month-bar"') >= 2
    assert audit(html).problems() == []  # the site's own accessibility smoke check


def test_a_user_with_nothing_yet_sees_the_map_and_empty_states(app, client, seeded):
    from app.services.accounts import users

    with app.app_context():
        users.register_user("newcomer", "correct-horse")  # after seeding: no activity
    assert AuthActions(client).login("newcomer", "correct-horse").status_code == 302
    html = client.get("/taste/").get_data(as_text=True)
    assert 'id="taste-map-title"' in html
    assert marked(html, "own") == set()
    assert "Like, save or rate songs" in html
    assert "Nothing yet: play, like, save or rate songs" in html


def test_the_background_sample_is_bounded(app, client, seeded, monkeypatch):
    from app.services.recommendations import catalog_map

    monkeypatch.setattr(catalog_map, "BACKGROUND", 40)
    monkeypatch.setattr(catalog_map, "FIT_SAMPLE", 120)
    login(client, "user1")
    html = client.get("/taste/").get_data(as_text=True)
    dots = re.findall(r'<path d="([^"]+)" stroke=', html)
    assert sum(d.count("h0") for d in dots) == 40
    assert "40 of 300 songs drawn" in html


def test_the_map_is_refitted_when_the_catalogs_vectors_change(app, seeded):
    from app.extensions import db
    from app.models import SongVector
    from app.services.recommendations import catalog_map

    with app.app_context():
        first = catalog_map.holder().current()
        assert first is catalog_map.holder().current()  # cached: same key, same map
        db.session.execute(sa.delete(SongVector).where(SongVector.song_id == 1))
        db.session.commit()
        second = catalog_map.holder().current()
        assert second is not first and second.songs == first.songs - 1


def test_a_request_never_waits_for_the_fit(app, client, seeded, monkeypatch):
    """Background mode: the first page says the map is being prepared; the next one has it."""
    from app.services.recommendations import catalog_map

    app.config["TASTE_MAP_FIT"] = "background"
    started, release = threading.Event(), threading.Event()
    real_fit = catalog_map.fit_catalog_map

    def slow_fit(key=None):
        started.set()
        assert release.wait(10)
        return real_fit(key)

    monkeypatch.setattr(catalog_map, "fit_catalog_map", slow_fit)
    login(client, "user0")
    html = client.get("/taste/").get_data(as_text=True)  # returns while the fit is held
    assert started.wait(5)
    assert "being prepared" in html and 'hx-trigger="load delay:1s"' in html
    assert 'id="taste-map-title"' not in html
    assert marked(html, "own") == set()
    assert 'class="taste-own-list"' in html  # the lists and charts don't wait for the map
    release.set()
    catalog_map.holder(app).join(10)
    html = client.get("/taste/").get_data(as_text=True)
    assert 'id="taste-map-title"' in html and marked(html, "own")


def test_an_empty_catalog_says_there_is_nothing_to_map(client, auth):
    auth.login()
    html = client.get("/taste/").get_data(as_text=True)
    assert "No song has a vector yet" in html


def test_the_nav_links_to_the_page(client, auth):
    auth.login()
    assert 'href="/taste/"' in client.get("/songs/").get_data(as_text=True)


def test_a_failed_fit_says_so_instead_of_polling(app, client, seeded, monkeypatch, caplog):
    from app.services.recommendations import catalog_map

    def broken_fit(key=None):
        raise MemoryError("no room for the sample")

    monkeypatch.setattr(catalog_map, "fit_catalog_map", broken_fit)
    login(client, "user0")
    html = client.get("/taste/").get_data(as_text=True)
    assert "could not be prepared" in html and "hx-trigger" not in html.split('id="taste-map"')[1][:200]
    assert "taste map fit failed" in caplog.text
    assert marked(html, "for-you") == set() and 'class="taste-for-you-list"' in html  # the rest still shows


def test_moods_and_genres_by_month_count_positive_actions_only(app, user, demo_songs):
    import datetime as dt
    from collections import Counter

    from app.extensions import db
    from app.models import Song
    from app.services.activity.events import record_activity
    from app.services.recommendations.taste import monthly_activity

    with app.app_context():
        songs = db.session.scalars(sa.select(Song).order_by(Song.id).limit(5)).all()
        a, b, c, d, e = songs
        jan, feb = dt.datetime(2026, 1, 10, tzinfo=dt.UTC), dt.datetime(2026, 2, 3, tzinfo=dt.UTC)
        for kind, song, value, at in [
            ("play", a, None, jan),
            ("play", a, None, jan),
            ("like", b, None, feb),
            ("dislike", c, None, feb),
            ("rate", d, 2, feb),
            ("rate", e, 5, feb),
        ]:
            record_activity(user, song.id, kind, value, at)
        moods, genres = monthly_activity(user)
        assert moods == {"2026-01": {a.emotion: 2}, "2026-02": dict(Counter([b.emotion, e.emotion]))}
        assert genres == {"2026-01": {a.genre: 2}, "2026-02": dict(Counter([b.genre, e.genre]))}

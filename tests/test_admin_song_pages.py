"""The admin song pages: forms checked like the API, a confirmation before deleting, pending index shown."""

from .admin_support import (  # noqa: F401
    admin,
    audit_actions,
    break_the_store,
    form_values,
    indexed,
    logged_in,
    song_row,
    store_ids,
)
from .api_support import song_ids


def _page_form(client, url):
    return form_values(client.get(url).get_data(as_text=True), "title")


def test_admin_pages_add_edit_and_delete_a_song(app, indexed, admin):
    client, _ = logged_in(app, "root")
    blank = _page_form(client, "/admin/songs/new")
    bad = client.post("/admin/songs/new", data={**blank, "energy": "3", "popularity": "many"})
    page = bad.get_data(as_text=True)
    assert bad.status_code == 400
    for message in (
        "Title is required",
        "Artist is required",
        "Energy must be a number from 0 to 1",
        "Not a valid integer value",
    ):
        assert message in page
    added = client.post(
        "/admin/songs/new",
        data={
            **blank,
            "title": "Paper Boats",
            "artist": "Low Tide",
            "genres": "Indie, Folk",
            "energy": "0.4",
            "good_for_yoga": "1",
        },
    )
    assert added.status_code == 302
    song_id = int(added.headers["Location"].removesuffix("/edit").rsplit("/", 1)[1])
    assert "Added" in client.get(added.headers["Location"]).get_data(as_text=True)
    row = song_row(app, song_id)
    assert (row["genres"], row["energy"], row["good_for_yoga"], row["good_for_party"]) == (
        ["indie", "folk"],
        0.4,
        True,
        None,
    )
    assert song_id in store_ids(app, {"genre": "indie", "good_for_yoga": True})

    edit_url = f"/admin/songs/{song_id}/edit"
    form = _page_form(client, edit_url)
    edited = client.post(
        edit_url, data={**form, "lyrics": "Fold the paper\r\nlet it float"}, follow_redirects=True
    )
    assert "Saved: lyrics changed." in edited.get_data(as_text=True)
    assert song_row(app, song_id)["lyrics"] == "Fold the paper\nlet it float"

    confirm = client.get(f"/admin/songs/{song_id}/delete")
    assert confirm.status_code == 200 and "cannot be undone" in confirm.get_data(as_text=True)
    deleted = client.post(
        f"/admin/songs/{song_id}/delete",
        data=form_values(confirm.get_data(as_text=True), "csrf_token"),
        follow_redirects=True,
    )
    assert "Deleted “Low Tide – Paper Boats”" in deleted.get_data(as_text=True)
    assert song_row(app, song_id) is None and song_id not in store_ids(app)
    assert audit_actions(app) == [
        ("song.create", "page", song_id),
        ("song.update", "page", song_id),
        ("song.delete", "page", song_id),
    ]


def test_saving_an_untouched_edit_form_changes_nothing(app, indexed, admin):
    client, _ = logged_in(app, "root")
    for song_id in song_ids(app, 25):
        url = f"/admin/songs/{song_id}/edit"
        before = song_row(app, song_id)
        page = client.post(url, data=_page_form(client, url), follow_redirects=True).get_data(as_text=True)
        assert "Nothing changed." in page, song_id
        assert song_row(app, song_id) == before
    assert audit_actions(app) == []


def test_the_edit_page_says_when_the_index_is_pending(app, indexed, admin, monkeypatch):
    client, _ = logged_in(app, "root")
    song_id = song_ids(app, 1)[0]
    url = f"/admin/songs/{song_id}/edit"
    form = _page_form(client, url)
    break_the_store(app, monkeypatch)
    page = client.post(url, data={**form, "title": "Offline Title"}, follow_redirects=True)
    assert "index pending" in page.get_data(as_text=True)
    assert song_row(app, song_id)["title"] == "Offline Title"

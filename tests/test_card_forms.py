"""A list of song cards asks for its CSRF token and its return path once, not twice per card."""

import re
from collections import Counter
from contextlib import contextmanager

import flask_wtf.csrf
import pytest

GLOBALS = ("csrf_token", "current_path")


@contextmanager
def counted_globals(app):
    """Count the calls the templates make to the per-request form values."""
    calls: Counter[str] = Counter()
    saved = {name: app.jinja_env.globals[name] for name in GLOBALS}

    def counting(name):
        def call(*args, **kwargs):
            calls[name] += 1
            return saved[name](*args, **kwargs)

        return call

    app.jinja_env.globals.update({name: counting(name) for name in GLOBALS})
    # Flask-WTF's context processor hands templates the module's generate_csrf, over the global
    flask_wtf.csrf.generate_csrf = counting("csrf_token")
    try:
        yield calls
    finally:
        app.jinja_env.globals.update(saved)
        flask_wtf.csrf.generate_csrf = saved["csrf_token"]


def hidden(html, name):
    return re.findall(rf'name="{name}" value="([^"]*)"', html)


HTMX = {"HX-Request": "true", "HX-Current-URL": "http://localhost/songs/"}


@pytest.mark.parametrize(
    "path, partial",
    [("/songs/", False), ("/songs/?q=a", True), ("/library/", False), ("/recommendations/knowledge", True)],
)
def test_a_list_computes_its_form_values_once(site, app, path, partial):
    if path.startswith("/library"):
        html = site.get("/songs/").get_data(as_text=True)
        token = hidden(html, "csrf_token")[0]
        for song_id in re.findall(r'id="song-(\d+)"', html)[:6]:
            answer = site.post(f"/songs/{song_id}/act", data={"action": "like", "csrf_token": token})
            assert answer.status_code < 400
        site.get("/songs/")  # shows (and so clears) the likes' messages, which have forms of their own
    with counted_globals(app) as calls:
        html = site.get(path, headers=HTMX if partial else {}).get_data(as_text=True)
    cards = html.count('class="song-card"')
    assert cards >= 2, path
    # every card still carries both forms' values: the same token and the page it was shown on
    tokens, paths = hidden(html, "csrf_token"), hidden(html, "next")
    assert len(tokens) >= 2 * cards and len(set(tokens)) == 1
    assert len(paths) >= 2 * cards and len(set(paths)) == 1
    assert calls["current_path"] == 1, (path, calls)
    if partial:  # the cards alone: one call for all of them
        assert calls["csrf_token"] == 1, (path, calls)
    else:  # the page's own forms and htmx headers ask too, a fixed few, whatever the number of cards
        assert 1 < calls["csrf_token"] < cards, (path, calls)


def test_a_single_card_still_gets_its_values(site, app):
    with counted_globals(app) as calls:
        html = site.get("/songs/1").get_data(as_text=True)
    assert hidden(html, "csrf_token") and hidden(html, "next")
    assert calls["csrf_token"] >= 1 and calls["current_path"] >= 1


def test_a_token_from_a_card_is_accepted(site):
    html = site.get("/songs/").get_data(as_text=True)
    song_id = re.search(r'id="song-(\d+)"', html).group(1)
    token = hidden(html, "csrf_token")[-1]
    answer = site.post(f"/songs/{song_id}/act", data={"action": "like", "csrf_token": token})
    assert answer.status_code in (200, 302, 303)
    assert (
        site.post(f"/songs/{song_id}/act", data={"action": "like", "csrf_token": "forged"}).status_code == 400
    )

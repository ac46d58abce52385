"""An accessibility smoke check on every page: labelled controls, named buttons, images with alt text."""

from html.parser import HTMLParser

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import User
from app.services.accounts import users
from app.services.indexing.song_vectors import embed_songs

UNLABELLED_TYPES = {"hidden", "submit", "button", "reset", "image"}


class Audit(HTMLParser):
    """Collects controls, labels, buttons and images of one page."""

    def __init__(self):
        super().__init__()
        self.controls, self.label_for, self.images = [], set(), []
        self.buttons, self._button, self._labels_open = [], None, 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "label":
            self._labels_open += 1
            if attrs.get("for"):
                self.label_for.add(attrs["for"])
        elif tag in ("input", "select", "textarea") and attrs.get("type") not in UNLABELLED_TYPES:
            self.controls.append((tag, attrs, self._labels_open > 0))
        elif tag == "button":
            self._button = {"attrs": attrs, "text": ""}
        elif tag == "img":
            self.images.append(attrs)

    def handle_endtag(self, tag):
        if tag == "label":
            self._labels_open -= 1
        elif tag == "button" and self._button is not None:
            self.buttons.append(self._button)
            self._button = None

    def handle_data(self, data):
        if self._button is not None:
            self._button["text"] += data

    def problems(self):
        found = []
        for tag, attrs, wrapped in self.controls:
            named = (
                wrapped
                or attrs.get("id") in self.label_for
                or attrs.get("aria-label")
                or attrs.get("aria-labelledby")
            )
            if not named:
                found.append(f"<{tag} name={attrs.get('name')!r}> has no label")
        for button in self.buttons:
            if not (button["text"].strip() or button["attrs"].get("aria-label")):
                found.append(f"a button has no name: {button['attrs']}")
        for image in self.images:
            if "alt" not in image:
                found.append(f"<img src={image.get('src')!r}> has no alt text")
        return found


def audit(html):
    parser = Audit()
    parser.feed(html)
    return parser


def test_public_pages(client):
    for path in ("/auth/login", "/auth/register", "/nowhere"):
        page = audit(client.get(path).get_data(as_text=True))
        assert page.problems() == [], path
    assert audit(client.get("/auth/login").get_data(as_text=True)).controls  # the check saw the form


@pytest.mark.parametrize(
    "path",
    [
        "/songs/",
        "/songs/?q=love&emotion=joy",
        "/songs/1",
        "/library/",
        "/library/rated",
        "/recommendations/",
        "/recommendations/content",
        "/recommendations/collaborative",
        "/recommendations/knowledge",
        "/profile/",
    ],
)
def test_logged_in_pages(app, client, auth, demo_songs, path):
    with app.app_context():
        embed_songs()
        alice = db.session.scalar(sa.select(User).where(User.username == "alice"))
        users.update_profile(alice, 30, None, ["joy"], ["party"])
    auth.login()
    response = client.get(path)
    assert response.status_code == 200
    page = audit(response.get_data(as_text=True))
    assert page.problems() == []
    assert page.buttons  # every one of these pages has buttons (at least "Log out")


def test_the_audit_catches_problems():
    bad = audit('<input name="q"><button></button><img src="x.png"><select name="s"></select>')
    assert len(bad.problems()) == 4
    good = audit(
        '<label for="q">Q</label><input id="q" name="q"><button aria-label="Go"></button>'
        '<img src="x.png" alt=""><label>S <select name="s"></select></label>'
    )
    assert good.problems() == []

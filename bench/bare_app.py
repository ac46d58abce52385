"""The baseline for bench/http_load.py: a bare Flask app, no database, served by the same gunicorn.

    gunicorn -c gunicorn.conf.py bench.bare_app:app

`/json` answers about 10 KB of JSON (43 songs as the API spells them) and `/page` a Jinja page of
24 song cards shaped like the app's (title link, artist, album, chips, reason, the action forms with
their hidden fields and five star buttons). Both are built from data made once at import, so what
they measure is Flask, Jinja, JSON and gunicorn on these settings: the ceiling that each route of
the app is compared with, in the same run.
"""

import random

from flask import Flask, jsonify, render_template, url_for
from jinja2 import DictLoader

GENRES = ("pop", "rock", "hip hop", "jazz", "electronic", "country", "metal", "soul")
EMOTIONS = ("joy", "sadness", "anger", "fear", "love", "surprise")
WORDS = ("night", "fire", "rain", "love", "city", "light", "heart", "river", "gold", "echo", "run", "blue")


def _songs(count, seed=11):
    rng = random.Random(seed)
    songs = []
    for n in range(1, count + 1):
        title = " ".join(rng.choice(WORDS).title() for _ in range(rng.randint(1, 4)))
        songs.append(
            {
                "id": n,
                "title": title,
                "artist": f"{rng.choice(WORDS).title()} {rng.choice(WORDS).title()}",
                "album": f"{rng.choice(WORDS).title()} Sessions",
                "genre": rng.choice(GENRES),
                "emotion": rng.choice(EMOTIONS),
                "explicit": rng.random() < 0.2,
                "popularity": rng.randint(0, 100),
                "duration_s": rng.randint(120, 360),
                "release_date": f"20{rng.randint(0, 24):02d}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}",
                "tempo": round(rng.uniform(60, 180), 1),
                "energy": round(rng.random(), 3),
                "valence": round(rng.random(), 3),
            }
        )
    return songs


JSON_SONGS = _songs(43)  # about 10 KB once serialised, as a page of the API's songs is
CARD_SONGS = _songs(24, seed=12)

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Songs - Songbird</title>
<link rel="stylesheet" href="/static/app.css"></head>
<body><header><nav><a href="{{ url_for('page') }}">Songbird</a></nav></header>
<main><h1>Songs</h1><div class="song-grid">
{% for song in songs %}
<article class="song-card" id="song-{{ song.id }}">
  <h3><a href="{{ url_for('song', song_id=song.id) }}">{{ song.title }}</a></h3>
  <p class="artist">{{ song.artist }}</p>
  {% if song.album %}<p class="album"><span class="sr-only">Album: </span>{{ song.album }}</p>{% endif %}
  <p class="meta"><span class="chip">{{ song.genre }}</span><span class="chip chip-{{ song.emotion }}">{{ song.emotion }}</span>
    {% if song.explicit %}<span class="chip chip-explicit" title="Explicit">E</span>{% endif %}</p>
  <p class="reason">Because you liked '{{ song.title }}' by {{ song.artist }}</p>
  {% set act = url_for('act', song_id=song.id) %}
  <div class="actions" data-song="{{ song.id }}">
    <form class="buttons" method="post" action="{{ act }}" hx-post="{{ act }}" hx-target="closest .actions" hx-swap="outerHTML">
      <input type="hidden" name="csrf_token" value="{{ token }}"><input type="hidden" name="next" value="{{ path }}">
      <button type="submit" name="action" value="play" class="btn btn-play">Play<span class="sr-only"> {{ song.title }}</span></button>
      <button type="submit" name="action" value="like" class="btn btn-like" aria-pressed="false">Like<span class="sr-only"> {{ song.title }}</span></button>
      <button type="submit" name="action" value="bookmark" class="btn btn-bookmark" aria-pressed="false">Save<span class="sr-only"> {{ song.title }}</span></button>
      <button type="submit" name="action" value="dislike" class="btn btn-dislike" aria-pressed="false">Not for me<span class="sr-only"> {{ song.title }}</span></button>
    </form>
    <form class="stars" method="post" action="{{ act }}" hx-post="{{ act }}" hx-target="closest .actions" hx-swap="outerHTML">
      <input type="hidden" name="csrf_token" value="{{ token }}"><input type="hidden" name="next" value="{{ path }}">
      <input type="hidden" name="action" value="rate">
      {% for n in range(1, 6) %}<button type="submit" name="value" value="{{ n }}" class="star" aria-pressed="false" aria-label="Rate {{ song.title }} {{ n }} of 5">★</button>{% endfor %}
    </form>
  </div>
</article>
{% endfor %}
</div></main></body></html>
"""

app = Flask(__name__)
# A loader, not render_template_string: that one compiles the source on every call, where the app's
# templates are compiled once and cached.
app.jinja_loader = DictLoader({"page.html": PAGE})


@app.get("/json")
def json_route():
    return jsonify(items=JSON_SONGS, page=1, per_page=len(JSON_SONGS), total=2000)


@app.get("/page")
def page():
    return render_template("page.html", songs=CARD_SONGS, token="t" * 88, path="/page")


# Targets of the page's links; never requested by the benchmark.
@app.get("/songs/<int:song_id>")
def song(song_id):
    return {"id": song_id}


@app.post("/songs/<int:song_id>/act")
def act(song_id):
    return "", 204


@app.get("/ready")
def ready():
    return url_for("page")

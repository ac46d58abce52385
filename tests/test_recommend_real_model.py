"""Content-based recommendations with the real model: genre taste, and dislikes with their twins."""

import sqlalchemy as sa

from app.embeddings import shared_embedder
from app.extensions import cache, db, embedder
from app.models import Song
from app.services.accounts import users
from app.services.activity.events import record_activity
from app.services.catalog.imports import import_spotify_csv
from app.services.indexing.song_vectors import embed_songs
from app.services.recommendations.lists import recommend_for

from .conftest import DEMO_CATALOG


def test_genre_taste_and_dislikes_with_the_real_model(app):
    embedder.override(app, shared_embedder("cpu"))
    with app.app_context():
        import_spotify_csv(DEMO_CATALOG, limit=400)
        genre = "metal"
        metal = db.session.scalars(sa.select(Song).where(Song.genre == genre).order_by(Song.id)).all()
        assert len(metal) >= 15
        embed_songs()
        user = users.register_user("headbanger", "long-password")
        for song in metal[:6]:
            record_activity(user.id, song.id, "like")

        top = recommend_for(user, "content", k=10)["items"]
        genres = [item["song"]["genre"] for item in top]
        assert genres.count(genre) >= 7, genres  # liked metal: the list is mostly metal

        # A live take of the first pick: near-identical text, so a near-identical vector.
        first = db.session.get(Song, top[0]["song"]["id"])
        twin = Song(
            natural_key="test:twin",
            row_hash="x",
            title=first.title + " (Live)",
            artist=first.artist,
            artists=first.artists,
            album=first.album,
            lyrics=first.lyrics,
            genre=first.genre,
            genres=first.genres,
            emotion=first.emotion,
            popularity=first.popularity,
            similar_songs=[],
        )
        db.session.add(twin)
        db.session.commit()
        embed_songs()
        # A song added outside the admin service reaches cached lists within the TTL; this test is
        # about the model, so it starts from an empty cache rather than waiting.
        cache.clear()
        ids = [item["song"]["id"] for item in recommend_for(user, "content", k=10)["items"]]
        assert first.id in ids and twin.id in ids

        record_activity(user.id, first.id, "dislike")
        after = [item["song"]["id"] for item in recommend_for(user, "content", k=10)["items"]]
        assert first.id not in after and twin.id not in after
        assert len(after) == 10

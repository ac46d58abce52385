"""The real all-MiniLM-L6-v2 model, loaded from the installed package, through the app's code."""

import numpy as np
import pytest

from app.embeddings import DIM, LYRICS_WORDS, SentenceEmbedder, preference_text, shared_embedder, song_text


@pytest.fixture(scope="module")
def model():
    return shared_embedder("cpu")


def test_real_model_gives_unit_384d_vectors_that_reflect_meaning(model):
    texts = [
        song_text(
            "Ava Stone", "Summer Love", ["pop"], "joy", "Sunny Days", "dancing in the sun with you all night"
        ),
        song_text(
            "Ava Stone",
            "Summer Love (Remastered)",
            ["pop"],
            "joy",
            "Sunny Days",
            "dancing in the sun with you all night long",
        ),
        song_text(
            "Grim Hollow",
            "Tomb of Ash",
            ["metal", "doom metal"],
            "anger",
            "Ashen",
            "burn the temple, blood and iron fall",
        ),
    ]
    vectors = model.encode(texts)
    assert vectors.shape == (3, DIM) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    near, far = float(vectors[0] @ vectors[1]), float(vectors[0] @ vectors[2])
    assert near > 0.9 and far < 0.6 and near - far > 0.3


def test_model_loads_from_the_package_only_once(model):
    assert shared_embedder("cpu") is model
    first = model.model()
    assert model.model() is first
    assert first.max_seq_length == 128


def test_empty_input_needs_no_model():
    assert SentenceEmbedder().encode([]).shape == (0, DIM)


def test_song_text_names_every_field_and_keeps_the_opening_lyrics():
    lyrics = " ".join(f"w{i}" for i in range(500))
    text = song_text("Nova", "Night Drive", ["synthwave", "electronic"], "fear", "Neon", lyrics)
    for part in ("Night Drive by Nova.", "Genre: synthwave, electronic.", "Mood: fear.", "Album: Neon."):
        assert part in text
    assert f"w{LYRICS_WORDS - 1}" in text and f"w{LYRICS_WORDS}" not in text.split()


def test_preference_text_and_song_text_share_a_space(model):
    pref = model.encode([preference_text(["sadness"], ["country"], "Heartbreak songs on long drives.")])[0]
    songs = model.encode(
        [
            song_text(
                "Hank Rivers",
                "Empty Highway",
                ["country"],
                "sadness",
                None,
                "I lost you on a lonely road tears fall",
            ),
            song_text("DJ Volt", "Rave Up", ["electronic"], "joy", None, "jump jump everybody jump tonight"),
        ]
    )
    assert pref @ songs[0] > pref @ songs[1]

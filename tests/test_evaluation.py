"""Offline evaluation: a synthetic split with a known answer, no leakage, both CLIs, the HetRec converter."""

import csv
import importlib.util
import json
import os
import random
import runpy
import sys
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa

from app.evaluation.files import load_split, log_weight
from app.evaluation.harness import APPROACHES, run_evaluation
from app.evaluation.metrics import METRICS
from app.evaluation.run_files import main as evaluate_main
from app.evaluation.split import item_matrix, preference_vectors, user_contexts, user_points
from app.evaluation.split_catalog import SplitCatalog
from app.extensions import db, vector_store
from app.models import UserSong
from app.recommend.items import SONGS, USERS
from app.recommend.taste import taste_vector
from app.services.ops.evaluation import hold_out, load_users
from app.vectors import create_vector_store

from .fakes import HashingEmbedder

ROOT = Path(__file__).resolve().parent.parent
GENRES = {"rock": "guitar riff loud amplifier", "jazz": "saxophone swing trio brushes"}


def write_csv(path, header, rows):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def split_files(tmp_path):
    """24 listeners, half rock and half jazz, each with 8 songs of their genre: 6 to train, 2 held out."""
    rng = random.Random(5)
    items = [
        (f"{g[0]}{n}", f"{g.title()} {n}", f"{g} {words} number {n}", f"{g};{words.split()[0]}")
        for g, words in GENRES.items()
        for n in range(1, 21)
    ]
    train, test, users = [], [], []
    for u in range(1, 25):
        genre = "rock" if u <= 12 else "jazz"
        songs = rng.sample([i for i, *_ in items if i.startswith(genre[0])], 8)
        train += [(f"u{u}", s, rng.randint(1, 300)) for s in songs[:6]]
        test += [(f"u{u}", s, 1) for s in songs[6:]]
        users.append((f"u{u}", genre))
    return {
        "train": write_csv(tmp_path / "train.csv", ["user_id", "item_id", "weight"], train),
        "test": write_csv(tmp_path / "test.csv", ["user_id", "item_id", "weight"], test),
        "items": write_csv(tmp_path / "items.csv", ["item_id", "title", "text", "tags"], items),
        "users": write_csv(tmp_path / "users.csv", ["user_id", "tags"], users),
    }


def load(files):
    return load_split(files["train"], files["test"], files["items"], files["users"])


class RecordingStore:
    """A real store that also keeps every point written to it."""

    def __init__(self, store):
        self._store, self.points = store, {}

    def upsert(self, name, points):
        points = list(points)
        self.points.setdefault(name, []).extend(points)
        return self._store.upsert(name, points)

    def __getattr__(self, name):
        return getattr(self._store, name)


def test_the_split_maps_ids_weights_tags_and_payloads(split_files):
    split = load(split_files)
    assert len(split.users) == 24 and len(split.items.infos) == 40 and split.train_rows == 144
    user = split.users[0]
    assert len(user.history) == 6 and user.library == frozenset(user.history) and len(user.held_out) == 2
    assert not user.held_out & user.library and user.tags == ("rock",)
    assert log_weight(1) == 1.0 and log_weight(300) == pytest.approx(1 + np.log(300))
    payload = split.items.payloads[1]
    assert payload["genres"] == ["rock", "guitar"] and payload["emotion"] is None
    assert 0 <= payload["popularity"] <= 100


def test_collaborative_beats_random_and_nothing_from_training_comes_back(split_files, tmp_path):
    split = load(split_files)
    recorded, lists = [], {}

    def factory():
        recorded.append(RecordingStore(create_vector_store(vectors_path=str(tmp_path / "vectors"))))
        return recorded[0]

    result = run_evaluation(split.users, split.items, factory, HashingEmbedder(), k=5, recommended=lists)
    assert result["k"] == 5 and result["users"] == 24 and list(result["approaches"]) == list(APPROACHES)
    scores = result["approaches"]
    for approach in ("collaborative", "content", "for_you"):
        assert scores[approach]["recall"] > scores["random"]["recall"] + 0.1, approach
        assert scores[approach]["ndcg"] > scores["random"]["ndcg"], approach
    # For you against each approach, user by user: the same users, so the mean of the differences
    # is the difference of the means; against random the gap is more than its standard error.
    paired = result["paired"]
    assert paired["metric"] == "ndcg" and paired["approach"] == "for_you"
    assert list(paired["against"]) == [a for a in APPROACHES if a != "for_you"]
    for name, gap in paired["against"].items():
        assert gap["difference"] == pytest.approx(scores["for_you"]["ndcg"] - scores[name]["ndcg"]), name
        assert gap["se"] >= 0, name
    assert paired["against"]["random"]["difference"] > paired["against"]["random"]["se"] > 0
    users = {u.user_id: u for u in split.users}
    for approach, by_user in lists.items():
        for user_id, ids in by_user.items():
            assert not set(ids) & users[user_id].library, approach  # no training item ever comes back
            assert len(ids) == len(set(ids)) <= 5
    # What the store was given: every item (held-out ones stay recommendable), no held-out likes.
    store = recorded[0]
    assert {p.id for p in store.points[SONGS]} == set(split.items.infos)
    for point in store.points[USERS]:
        assert not set(point.sparse) & users[point.id].held_out


def test_no_held_out_interaction_reaches_any_vector_or_neighbour(split_files):
    split = load(split_files)
    embedder = HashingEmbedder()
    ids, matrix = item_matrix(split.items, embedder)
    index = {item: row for row, item in enumerate(ids)}
    contexts = user_contexts(split.users, index, matrix, preference_vectors(split.users, embedder))
    points = {p.id: p for p in user_points(split.users, contexts)}
    catalog = SplitCatalog(split.items.infos, {u.user_id: u.history for u in split.users})
    neighbours = catalog.positives([u.user_id for u in split.users])
    for user in split.users:
        ctx = contexts[user.user_id]
        assert not set(points[user.user_id].sparse) & user.held_out
        assert not set(ctx.history) & user.held_out and not ctx.library & user.held_out
        assert not set(neighbours[user.user_id]) & user.held_out
        train = sorted(user.history)
        expected = taste_vector(
            matrix[[index[i] for i in train]],
            [user.history[i] for i in train],
            preference_vectors([user], embedder)[user.user_id],
        )
        np.testing.assert_allclose(ctx.taste, expected, atol=1e-6)
        leaked = sorted(user.history) + sorted(user.held_out)
        with_test = taste_vector(
            matrix[[index[i] for i in leaked]],
            [user.history.get(i, 1.0) for i in leaked],
            preference_vectors([user], embedder)[user.user_id],
        )
        assert not np.allclose(ctx.taste, with_test, atol=1e-4)  # the held-out songs would have moved it
    trained = sum(len(u.history) for u in split.users)
    assert sum(catalog.fans.values()) == trained  # popularity counts training interactions only


def test_hold_out_takes_the_most_recent_positives_only():
    # (song, weight, updated_at): 4 positives (1, 2, 3, 5), a dislike (4) and a single play (6, weight 0)
    rows = [(1, 2.0, 10), (2, 1.0, 40), (3, 0.5, 30), (4, -2.5, 50), (5, 3.5, 20), (6, 0.0, 60)]
    history, library, held = hold_out(rows, holdout=2, min_positives=4)
    assert held == {2, 3}  # newest positives; the newer dislike and single play are not held out
    assert history == {1: 2.0, 4: -2.5, 5: 3.5} and library == {1, 4, 5, 6}
    assert hold_out(rows, holdout=2, min_positives=5)[2] == frozenset()  # too few positives: not scored


def test_flask_evaluate_prints_every_approach_and_leaves_the_index_alone(app, seeded, runner, tmp_path):
    with app.app_context():
        store = vector_store()
        before = {name: store.retrieve(name, store.ids(name)) for name in (SONGS, USERS)}
        users = load_users(holdout=3, min_positives=6)
        rows = db.session.execute(sa.select(UserSong.user_id, UserSong.song_id)).all()
    scored = [u for u in users if u.held_out]
    assert scored and all(len(u.held_out) == 3 and not u.held_out & u.library for u in scored)
    assert {(u.user_id, s) for u in users for s in u.library | u.held_out} == set(rows)
    encoded = len(app.extensions["embedder"].encoded)
    out = tmp_path / "demo.json"
    result = runner.invoke(
        args=[
            "evaluate",
            "--k",
            "5",
            "--holdout",
            "3",
            "--min-positives",
            "6",
            "--json",
            str(out),
            "--seed",
            "3",
        ]
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "NDCG@5" in lines[0]
    for approach in APPROACHES:
        assert any(line.split()[0] == approach for line in lines[1:] if line.strip()), approach
    report = json.loads(out.read_text())
    assert report["users"] == len(scored) and set(report["approaches"]) == set(APPROACHES)
    assert len(app.extensions["embedder"].encoded) == encoded  # song vectors came from SQL
    with app.app_context():
        assert {name: store.retrieve(name, store.ids(name)) for name in (SONGS, USERS)} == before
    again = runner.invoke(
        args=["evaluate", "--k", "5", "--holdout", "3", "--min-positives", "6", "--seed", "3"]
    )
    assert again.output == result.output  # deterministic for a seed
    bad = runner.invoke(args=["evaluate", "--holdout", "5", "--min-positives", "5"])
    assert bad.exit_code != 0 and "--min-positives must exceed --holdout" in bad.output


def test_the_file_cli_writes_json_with_the_exact_keys(split_files, tmp_path, capsys):
    out = tmp_path / "results.json"
    argv = [
        "--train",
        str(split_files["train"]),
        "--test",
        str(split_files["test"]),
        "--items",
        str(split_files["items"]),
        "--users",
        str(split_files["users"]),
        "--k",
        "5",
        "--json",
        str(out),
    ]
    assert evaluate_main(argv, embedder=HashingEmbedder()) == 0
    report = json.loads(out.read_text())
    assert set(report) == {"k", "users", "approaches", "paired", "slices", "fusion"} and report["k"] == 5
    assert report["users"] == 24 and report["fusion"]["format"] == 1 and report["fusion"]["method"] == "rank"
    assert list(report["approaches"]) == [
        "for_you",
        "content",
        "collaborative",
        "knowledge",
        "item_based",
        "popular",
        "random",
    ]
    # Every user here has 6 training songs: the cold-start slice (at most 3) is empty, and says so.
    assert report["slices"]["cold_start"] == {"users": 0, "max_positives": 3, "approaches": {}, "paired": {}}
    assert set(report["paired"]["against"]) == set(report["approaches"]) - {"for_you"}
    for values in report["approaches"].values():
        assert (
            list(values)
            == ["ndcg", "recall", "hit_rate", "precision", "map", "coverage", "diversity", "novelty"]
            == list(METRICS)
        )
    printed = capsys.readouterr().out
    assert "collaborative" in printed and "Recall@5" in printed
    assert "for_you minus each approach, NDCG@5 paired per user (standard error):" in printed
    only = ["--approaches", "popular", "random"]
    assert evaluate_main(argv + only, embedder=HashingEmbedder()) == 0
    only_report = json.loads(out.read_text())
    assert list(only_report["approaches"]) == ["popular", "random"]
    assert only_report["paired"] == {}  # nothing to compare For you with when it was not run
    assert "paired per user" not in capsys.readouterr().out
    write_csv(split_files["train"], ["user_id", "item_id", "weight"], [("u1", "r1", "-3")])
    assert evaluate_main(argv, embedder=HashingEmbedder()) == 1
    assert "weight must be a positive number" in capsys.readouterr().err


def test_the_old_command_runs_the_new_one_and_says_it_is_deprecated(
    split_files, tmp_path, capsys, monkeypatch
):
    # As `python -m ...` runs them; the model is a fast double, fetched where run_files fetches it.
    monkeypatch.setattr("app.embeddings.shared_embedder", lambda device="cpu": HashingEmbedder())
    monkeypatch.delitem(sys.modules, "app.recommend.evaluate", raising=False)  # runpy wants it unimported
    files = [
        "--train",
        str(split_files["train"]),
        "--test",
        str(split_files["test"]),
        "--items",
        str(split_files["items"]),
        "--k",
        "5",
    ]

    def run(module, *args):
        monkeypatch.setattr(sys, "argv", [module, *args])
        with pytest.raises(SystemExit) as stopped:
            runpy.run_module(module, run_name="__main__")
        captured = capsys.readouterr()
        return stopped.value.code, captured.out, captured.err.splitlines()

    new = run("app.evaluation", *files, "--json", str(tmp_path / "new.json"))
    old = run("app.recommend.evaluate", *files, "--json", str(tmp_path / "old.json"))
    assert old[0] == new[0] == 0 and old[1] == new[1] and "NDCG@5" in new[1]
    assert json.loads((tmp_path / "old.json").read_text()) == json.loads((tmp_path / "new.json").read_text())
    assert "deprecated" in old[2][0] and "python -m app.evaluation" in old[2][0]
    assert old[2][1] == new[2][0] and not any("deprecated" in line for line in new[2])  # then the same log
    # Failures keep their exit status: a missing file (1) and a bad argument (argparse's 2).
    missing = ["--train", str(tmp_path / "none.csv"), *files[2:]]
    assert run("app.recommend.evaluate", *missing)[0] == run("app.evaluation", *missing)[0] == 1
    assert (
        run("app.recommend.evaluate", *files, "--k", "0")[0]
        == run("app.evaluation", *files, "--k", "0")[0]
        == 2
    )


def hetrec_dir():
    value = os.environ.get("HETREC_DIR")
    if not value:
        pytest.skip("HETREC_DIR is not set; .ci/run sets it to ../shared/data/hetrec2011-lastfm-2k")
    path = Path(value)
    if not (path / "user_artists.dat").is_file():
        pytest.fail(f"HETREC_DIR is set to {value}, but it holds no user_artists.dat")
    return path


def read_rows(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_hetrec_converter_counts(tmp_path):
    src = hetrec_dir()
    spec = importlib.util.spec_from_file_location("hetrec_to_csv", ROOT / "bench" / "hetrec_to_csv.py")
    converter = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(converter)
    counts = converter.convert(src, tmp_path, seed=0)
    train, test = read_rows(tmp_path / "train.csv"), read_rows(tmp_path / "test.csv")
    items, users = read_rows(tmp_path / "items.csv"), read_rows(tmp_path / "users.csv")
    assert len(train) + len(test) == 92_834 and counts["train"] == len(train)
    assert len(users) == 1_892 and len(items) == 17_632
    assert 0.19 < len(test) / 92_834 < 0.21
    per_user = {}
    for side, rows in (("train", train), ("test", test)):
        for row in rows:
            per_user.setdefault(row["user_id"], {"train": set(), "test": set()})[side].add(row["item_id"])
    assert len(per_user) == 1_892
    for sides in per_user.values():
        assert sides["train"] and not sides["train"] & sides["test"]
        assert len(sides["test"]) == min(
            round(0.2 * (len(sides["train"]) + len(sides["test"]))),
            len(sides["train"]) + len(sides["test"]) - 1,
        )
    assert converter.convert(src, tmp_path / "again", seed=0) == counts  # seeded: the same split
    assert read_rows(tmp_path / "again" / "test.csv") == test
    metallica = next(row for row in items if row["title"] == "Metallica")
    assert "metal" in metallica["tags"].split(";") and metallica["text"].startswith("Metallica. Genre:")

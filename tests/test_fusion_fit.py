"""Fitting For you: validation carved from training only, adaptive weights, and the fit's choices."""

import json

import pytest

from app.evaluation import files as eval_files
from app.evaluation.run_files import main as evaluate_main
from app.evaluation.tuning import Case, fit_fusion
from app.evaluation.validation import carve_validation, describe_fit
from app.recommend.fusion import FusionParams, fuse
from app.recommend.items import Recommendation

from .fakes import HashingEmbedder
from .test_evaluation import load, split_files, write_csv  # noqa: F401  (split_files is a fixture)


def ranked(name, ids):
    return [
        Recommendation(song, 1.0 / rank, name, f"{name} {song}") for rank, song in enumerate(ids, start=1)
    ]


def test_carving_moves_a_share_of_training_positives_and_drops_the_test(split_files):
    users = load(split_files).users
    carved = carve_validation(users, share=0.25, min_positives=4, seed=1)
    for before, after in zip(users, carved):
        assert not after.held_out & before.held_out  # nothing of the test side survives
        assert after.held_out <= set(before.history) and len(after.held_out) == 2  # 25% of 6, rounded
        assert not after.held_out & set(after.history) and not after.held_out & after.library
    assert carve_validation(users, share=0.25, min_positives=4, seed=1) == carved  # seeded
    assert carve_validation(users, share=0.25, min_positives=7, seed=1)[0].held_out == frozenset()


def test_tuning_never_reads_the_test_file(split_files, tmp_path, monkeypatch):
    # A second test file whose held-out songs are the *other* genre's: read while fitting, it would
    # pull the weights away from the lists that find a listener's own genre.
    swapped = [(row_user, item, 1) for row_user, item in _swapped_test(split_files)]
    other = write_csv(tmp_path / "other_test.csv", ["user_id", "item_id", "weight"], swapped)
    read, order = [], []
    original = eval_files._interactions
    monkeypatch.setattr(eval_files, "_interactions", lambda path: read.append(str(path)) or original(path))
    original_save = FusionParams.save
    monkeypatch.setattr(
        FusionParams, "save", lambda self, path: order.append(len(read)) or original_save(self, path)
    )

    weights, results = [], []
    for test in (split_files["test"], other):
        out, report = tmp_path / f"w-{len(weights)}.json", tmp_path / f"r-{len(weights)}.json"
        read.clear(), order.clear()
        argv = [
            "--train",
            str(split_files["train"]),
            "--test",
            str(test),
            "--items",
            str(split_files["items"]),
            "--users",
            str(split_files["users"]),
            "--k",
            "5",
            "--tune",
            "--weights-out",
            str(out),
            "--json",
            str(report),
            "--approaches",
            "for_you",
            "collaborative",
        ]
        assert evaluate_main(argv, embedder=HashingEmbedder()) == 0
        # When the weights were written, only the training file had been read; the test came after.
        assert read[: order[0]] == [str(split_files["train"])] and str(test) in read[order[0] :]
        weights.append(json.loads(out.read_text()))
        results.append(json.loads(report.read_text()))
    assert weights[0] == weights[1]
    assert weights[0]["meta"]["validation_cases"] > 0 and weights[0]["meta"]["source"].startswith("train.csv")
    # The two test files do score differently: had either been read, the weights could not agree.
    ndcg = [r["approaches"]["collaborative"]["ndcg"] for r in results]
    assert ndcg[0] > 0.2 and ndcg[1] < ndcg[0] / 2
    assert results[0]["fusion"]["weights"] == weights[0]["weights"]


def _swapped_test(files):
    """(user, item) rows giving each user two songs of the genre they do not listen to."""
    split = load(files)
    keys = {v: k for k, v in _item_keys(files).items()}
    rows = []
    for user in split.users:
        genre = split.items.infos[next(iter(user.history))].genre
        foreign = [i for i, info in split.items.infos.items() if info.genre != genre][:2]
        rows += [(f"u{user.user_id}", keys[i]) for i in foreign]
    return rows


def _item_keys(files):
    import csv

    with open(files["items"], newline="", encoding="utf-8") as handle:
        return {row["item_id"]: number for number, row in enumerate(csv.DictReader(handle), start=1)}


def test_adaptive_weights_follow_each_users_evidence():
    lists = {
        "collaborative": ranked("collaborative", range(1, 11)),
        "knowledge": ranked("knowledge", range(11, 21)),
    }
    params = FusionParams(
        {"content": 0.0, "collaborative": 1.0, "knowledge": 0.3, "item_based": 1.0},
        evidence_half=5.0,
        cold_weights={"content": 1.0, "collaborative": 0.1, "knowledge": 1.0, "item_based": 0.0},
    )
    strong = [r.song_id for r in fuse(lists, params, positives=60)][:10]
    none = [r.song_id for r in fuse(lists, params, positives=0)][:10]
    assert len(set(strong) & set(range(1, 11))) >= 8  # an active user's list is mostly collaborative
    assert len(set(none) & set(range(11, 21))) >= 8  # a newcomer's mostly knowledge
    global_params = params.with_(evidence_half=0.0)
    assert [r.song_id for r in fuse(lists, global_params, positives=0)][:10] == [
        r.song_id for r in fuse(lists, global_params, positives=60)
    ][:10]


def _cases():
    """Active users find their songs through collaborative; newcomers through knowledge."""
    cases = []
    for n in range(40):
        active = n % 2 == 0
        hit = 100 + n
        collab = [hit, *list(range(1, 10))] if active else list(range(1, 11))
        know = list(range(11, 21)) if active else [hit, *list(range(11, 20))]
        lists = {"collaborative": ranked("collaborative", collab), "knowledge": ranked("knowledge", know)}
        cases.append(Case(40 if active else 1, lists, frozenset({hit}), {}))
    return cases


def test_the_fit_keeps_adaptive_weights_only_when_they_win():
    params = fit_fusion(_cases(), k=1)
    assert params.meta["kept"] == "adaptive" and params.evidence_half > 0
    assert params.meta["validation_ndcg_adaptive"] > params.meta["validation_ndcg_global"] + 0.4
    assert params.meta["validation_ndcg"] == pytest.approx(1.0)  # every case finds its song first
    # Each list alone finds half the songs: the fit's gain over the better one, case by case, is 0.5,
    # and its standard error that of 20 ones and 20 zeros.
    paired = params.meta["validation_paired"]
    assert paired["against"] in ("collaborative", "knowledge")
    assert paired["difference"] == pytest.approx(0.5)
    assert paired["se"] == pytest.approx((10 / 39) ** 0.5 / 40**0.5, abs=1e-5)
    assert "+0.50000 (SE 0.08006) over" in describe_fit(params)
    # Newcomers lean on knowledge, listeners with a history on collaborative.
    assert params.cold_weights["knowledge"] > params.cold_weights["collaborative"]
    assert params.weights["collaborative"] > params.weights["knowledge"]
    # Only active users: one global set does as well, so that is what is kept.
    warm = [case for case in _cases() if case.positives > 1]
    flat = fit_fusion(warm, k=1)
    assert flat.meta["kept"] == "global" and flat.evidence_half == 0.0 and flat.cold_weights is None
    assert flat.weights["collaborative"] == 1.0 and flat.weights["knowledge"] < 1.0
    # Its list is collaborative's: no gain over it, and none to be uncertain about.
    assert flat.meta["validation_paired"] == {"against": "collaborative", "difference": 0.0, "se": 0.0}


def test_the_fit_refuses_an_empty_validation_split():
    with pytest.raises(ValueError, match="no validation cases"):
        fit_fusion([], k=10)


def test_the_cold_start_slice_scores_only_users_with_few_positives(split_files, tmp_path):
    from dataclasses import replace

    from app.evaluation.harness import run_evaluation
    from app.vectors import create_vector_store

    split = load(split_files)
    users = [
        replace(u, history=dict(list(u.history.items())[:2]), library=frozenset(list(u.history)[:2]))
        if u.user_id in (1, 2)
        else u
        for u in split.users
    ]
    result = run_evaluation(
        users,
        split.items,
        lambda: create_vector_store(vectors_path=str(tmp_path / "v")),
        HashingEmbedder(),
        k=5,
        approaches=("popular", "item_based"),
    )
    cold = result["slices"]["cold_start"]
    assert cold["users"] == 2 and set(cold["approaches"]) == {"popular", "item_based"}
    assert cold["approaches"]["popular"]["ndcg"] != result["approaches"]["popular"]["ndcg"]


def test_tags_counted_from_the_users_own_tagging_leave_with_the_items_carved_out(split_files, tmp_path):
    numbers = _item_keys(split_files)
    keys = {number: key for key, number in numbers.items()}
    listened = sorted(next(u for u in load(split_files).users if u.user_id == 1).history)
    # u1 put three tags on one song they listened to, and "rock" on two others.
    first, second, third = (keys[i] for i in listened[:3])
    rows = [
        ("u1", first, "secret"),
        ("u1", first, "secret2"),
        ("u1", first, "secret3"),
        ("u1", second, "rock"),
        ("u1", third, "rock"),
        ("nobody", first, "ghost"),
    ]
    tags_file = write_csv(tmp_path / "user_tags.csv", ["user_id", "item_id", "tag"], rows)
    split = eval_files.load_split(
        split_files["train"], None, split_files["items"], split_files["users"], tags_file
    )
    assert next(u for u in split.users if u.user_id == 1).tags == (
        "rock",
    )  # the users file's stated tags win
    split = eval_files.load_split(split_files["train"], None, split_files["items"], None, tags_file)
    user = next(u for u in split.users if u.user_id == 1)
    assert user.tags == ("rock", "secret", "secret2", "secret3") and len(user.tag_log) == 5
    assert all(u.user_id != 99 for u in split.users) and len(split.users) == 24  # "nobody" never listened
    carved = carve_validation([user], share=0.2, min_positives=1, seed=0)[0]  # 1 of 6 held out
    held = next(iter(carved.held_out))
    expected = eval_files.tags_from_log(user.tag_log, exclude={held})
    assert carved.tags == expected and carved.preference is None  # embedded again from the new text
    everything = carve_validation([user], share=1.0, min_positives=1, seed=0)[0]
    assert everything.held_out == set(user.history) and everything.tags == ()
    assert "secret" not in everything.preference_text
    assert carve_validation([user], share=0.2, min_positives=100, seed=0)[0].tags == user.tags  # nothing held


def test_small_data_sets_pool_several_validation_splits(split_files):
    from app.evaluation.validation import MAX_FOLDS, MIN_USERS, folds_for

    users = load(split_files).users  # 24 users with 6 positives each
    assert folds_for(users) == MAX_FOLDS
    assert folds_for(users * (MIN_USERS // 24 + 1)) == 1
    assert folds_for(users, min_positives=7) == MAX_FOLDS  # nobody eligible: as many as allowed
    first, second = (carve_validation(users, seed=seed) for seed in (0, "0:1"))
    assert [u.held_out for u in first] != [u.held_out for u in second]  # the folds differ


def test_the_app_reads_its_weights_file_at_start_and_refuses_a_bad_one(tmp_path):
    from app import create_app
    from app.services.recommendations.lists import fusion_params

    good = tmp_path / "weights.json"
    FusionParams({"content": 0.1, "collaborative": 1.0, "knowledge": 0.5, "item_based": 0.9}, "score").save(
        good
    )
    app = create_app({"TESTING": True, "FUSION_WEIGHTS": str(good)})
    with app.app_context():
        assert fusion_params().method == "score" and fusion_params().weights["item_based"] == 0.9
    (tmp_path / "bad.json").write_text('{"format": 1, "weights": {"content": -1}}')
    for bad in (tmp_path / "bad.json", tmp_path / "missing.json"):
        with pytest.raises(RuntimeError, match="FUSION_WEIGHTS"):
            create_app({"TESTING": True, "FUSION_WEIGHTS": str(bad)})

"""Reading an evaluation split from CSV files and mapping it into the engines' world.

train/test: user_id,item_id,weight (weight > 0, a play count or a rating); items: item_id,title,text
and optionally tags (';'-separated); users (optional): user_id,tags; user tags (optional):
user_id,item_id,tag, one row per tag a user put on an item, from which their tags are counted.
Ids are strings; the engines and the vector store want integers, so both are numbered from 1 in
order of first appearance.
"""

import csv
import math
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from ..embeddings import preference_text
from ..recommend.items import SongInfo
from ..spotify_csv.vocab import ACTIVITY_FLAGS
from ..vectors import schema
from .split import EvalUser, ItemSet


@dataclass
class LoadedSplit:
    """The users and items of a split, and what was dropped while reading it."""

    users: list[EvalUser]
    items: ItemSet
    train_rows: int = 0
    test_rows: int = 0
    unknown_items: int = 0  # train/test rows naming an item that items.csv lacks
    test_in_train: int = 0  # test rows for an item the user already has in training


def log_weight(weight: float) -> float:
    """1 + ln(w) for w >= 1 (w below 1 as is): 500 plays of one artist weigh ~7, not 500 times 1."""
    return 1.0 + math.log(weight) if weight >= 1 else weight


def split_tags(text: str | None) -> tuple[str, ...]:
    """';'-separated tags, lower-cased and stripped, first occurrence kept, empty ones dropped."""
    return tuple(dict.fromkeys(t.strip().lower() for t in (text or "").split(";") if t.strip()))


def _rows(path: str | Path, required: Iterable[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, row dict) for each row of a CSV whose header has the required columns."""
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in required if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{path}: header lacks {', '.join(missing)} (has {reader.fieldnames})")
        for row in reader:
            yield reader.line_num, row


def _interactions(path: str | Path) -> list[tuple[str, str, float]]:
    """[(user, item, weight)] from a train or test file, ValueError naming the line of a bad row."""
    rows = []
    for line, row in _rows(path, ("user_id", "item_id", "weight")):
        try:
            weight = float(row["weight"])
        except (TypeError, ValueError):
            raise ValueError(f"{path}:{line}: weight {row['weight']!r} is not a number") from None
        if not weight > 0 or math.isinf(weight):
            raise ValueError(f"{path}:{line}: weight must be a positive number, not {row['weight']!r}")
        rows.append((row["user_id"].strip(), row["item_id"].strip(), weight))
    return rows


def _payload(point_id: int, title: str, tags: tuple[str, ...], popularity: int) -> dict[str, Any]:
    # Tags stand in for genres, so knowledge's genre conditions match them; a tag that is an
    # activity word also sets that activity's flag, as the app's "Good for ..." columns would.
    flags = {column for tag, (column, _) in ACTIVITY_FLAGS.items() if tag in tags}
    return schema.song_payload(
        point_id, title, tags[0] if tags else None, tags, None, False, popularity, flags
    )


USER_TAGS = 5  # a user's stated tags: the ones they used most (bench/hetrec_to_csv.py writes as many)


def tags_from_log(
    tag_log: Iterable[tuple[int, str]], exclude: Collection[int] = frozenset(), limit: int = USER_TAGS
) -> tuple[str, ...]:
    """The `limit` tags a user applied most, not counting their tags on items in `exclude` (ties by name)."""
    counts: dict[str, int] = {}
    for item, tag in tag_log:
        if item not in exclude:
            counts[tag] = counts.get(tag, 0) + 1
    return tuple(tag for tag, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit])


def load_split(
    train_path: str | Path,
    test_path: str | Path | None,
    items_path: str | Path,
    users_path: str | Path | None = None,
    user_tags_path: str | Path | None = None,
) -> LoadedSplit:
    """A LoadedSplit: training play counts log-scaled, test items held out, items to embed from text.

    test_path None reads no test file at all: the users then hold out nothing.
    """
    item_ids: dict[str, int] = {}
    titles: dict[int, str] = {}
    texts: dict[int, str] = {}
    item_tags: dict[int, tuple[str, ...]] = {}
    for line, row in _rows(items_path, ("item_id", "title", "text")):
        key = row["item_id"].strip()
        if key in item_ids:
            raise ValueError(f"{items_path}:{line}: item {key!r} appears twice")
        point_id = item_ids[key] = len(item_ids) + 1
        titles[point_id] = row["title"] or key
        texts[point_id] = row["text"] or titles[point_id]
        item_tags[point_id] = split_tags(row.get("tags"))

    # cast: the items are set once read, at the end
    user_ids: dict[str, int] = {}
    loaded = LoadedSplit([], cast(ItemSet, None))
    number: Callable[[str], int] = lambda key: user_ids.setdefault(key, len(user_ids) + 1)  # noqa: E731
    history: dict[int, dict[int, float]] = {}
    held_out: dict[int, set[int]] = {}
    for user, item, weight in _interactions(train_path):
        loaded.train_rows += 1
        if item not in item_ids:
            loaded.unknown_items += 1
            continue
        songs = history.setdefault(number(user), {})
        songs[item_ids[item]] = songs.get(item_ids[item], 0.0) + log_weight(weight)
    # Without a test file (fitting For you), nothing is held out: the fit carves its own validation.
    for user, item, _ in _interactions(test_path) if test_path is not None else ():
        loaded.test_rows += 1
        if item not in item_ids:
            loaded.unknown_items += 1
            continue
        uid = number(user)
        if item_ids[item] in history.get(uid, {}):
            loaded.test_in_train += 1  # already in the library: it could never be recommended
            continue
        held_out.setdefault(uid, set()).add(item_ids[item])
    user_tags: dict[int, tuple[str, ...]] = {}
    tag_logs: dict[int, list[tuple[int, str]]] = {}
    if users_path:
        for _, row in _rows(users_path, ("user_id", "tags")):
            user_tags[number(row["user_id"].strip())] = split_tags(row["tags"])
    if user_tags_path:
        # Tags from each assignment: the user's tags are counted here, so a validation split can
        # count them again without the items it holds out (validation.carve_validation).
        for _, row in _rows(user_tags_path, ("user_id", "item_id", "tag")):
            uid, item = user_ids.get(row["user_id"].strip()), item_ids.get(row["item_id"].strip())
            tag = row["tag"].strip().lower()
            if uid is not None and item is not None and tag:  # users with no listening are left out
                tag_logs.setdefault(uid, []).append((item, tag))
        # A users file's tags stay as given; the log fills in for users it lacks.
        user_tags = {**{uid: tags_from_log(log) for uid, log in tag_logs.items()}, **user_tags}

    fans = dict.fromkeys(titles, 0)
    for songs in history.values():
        for point_id in songs:
            fans[point_id] += 1
    # Items have no Spotify popularity; a 0-100 score from training fans takes its place.
    scale = math.log1p(max(fans.values(), default=0)) or 1.0
    popularity = {i: round(100 * math.log1p(n) / scale) for i, n in fans.items()}
    infos = {
        i: SongInfo(
            i,
            titles[i],
            titles[i],
            item_tags[i][0] if item_tags[i] else None,
            None,
            False,
            popularity[i],
        )
        for i in titles
    }
    payloads = {i: _payload(i, titles[i], item_tags[i], popularity[i]) for i in titles}
    loaded.items = ItemSet(infos, payloads, texts=texts)
    for uid in user_ids.values():
        songs = history.get(uid, {})
        tags = user_tags.get(uid, ())
        tag_log = tuple(tag_logs.get(uid, ()))
        loaded.users.append(
            EvalUser(
                uid,
                dict(songs),
                frozenset(songs),
                frozenset(held_out.get(uid, ())),
                (),
                tags,
                preference_text((), tags),
                tag_log=tag_log,
            )
        )
    return loaded

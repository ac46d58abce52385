"""Reading an evaluation split from CSV files and mapping it into the engines' world.

train/test: user_id,item_id,weight (weight > 0, a play count or a rating); items: item_id,title,text
and optionally tags (';'-separated); users (optional): user_id,tags. Ids are strings; the engines
and the vector store want integers, so both are numbered from 1 in order of first appearance.
"""

import csv
import math
from dataclasses import dataclass

from ..catalog.vocab import ACTIVITY_FLAGS
from ..embeddings import preference_text
from .evaluation import EvalUser, ItemSet
from .items import SongInfo


@dataclass
class LoadedSplit:
    """The users and items of a split, and what was dropped while reading it."""

    users: list
    items: ItemSet
    train_rows: int = 0
    test_rows: int = 0
    unknown_items: int = 0  # train/test rows naming an item that items.csv lacks
    test_in_train: int = 0  # test rows for an item the user already has in training


def log_weight(weight):
    """1 + ln(w) for w >= 1 (w below 1 as is): 500 plays of one artist weigh ~7, not 500 times 1."""
    return 1.0 + math.log(weight) if weight >= 1 else weight


def split_tags(text):
    """';'-separated tags, lower-cased and stripped, first occurrence kept, empty ones dropped."""
    return tuple(dict.fromkeys(t.strip().lower() for t in (text or "").split(";") if t.strip()))


def _rows(path, required):
    """(line number, row dict) for each row of a CSV whose header has the required columns."""
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in required if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{path}: header lacks {', '.join(missing)} (has {reader.fieldnames})")
        for row in reader:
            yield reader.line_num, row


def _interactions(path):
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


def _payload(point_id, title, tags, popularity):
    # Tags stand in for genres, so knowledge's genre conditions match them; a tag that is an
    # activity word also sets that activity's flag, as the app's "Good for ..." columns would.
    payload = {"song_id": point_id, "artist": title, "genre": tags[0] if tags else None, "genres": list(tags),
               "emotion": None, "explicit": False, "popularity": popularity}
    payload.update({column: tag in tags for tag, (column, _) in ACTIVITY_FLAGS.items()})
    return payload


def load_split(train_path, test_path, items_path, users_path=None):
    """A LoadedSplit: training play counts log-scaled, test items held out, items to embed from text."""
    item_ids, titles, texts, item_tags = {}, {}, {}, {}
    for line, row in _rows(items_path, ("item_id", "title", "text")):
        key = row["item_id"].strip()
        if key in item_ids:
            raise ValueError(f"{items_path}:{line}: item {key!r} appears twice")
        point_id = item_ids[key] = len(item_ids) + 1
        titles[point_id] = row["title"] or key
        texts[point_id] = row["text"] or titles[point_id]
        item_tags[point_id] = split_tags(row.get("tags"))

    user_ids, loaded = {}, LoadedSplit([], None)
    number = lambda key: user_ids.setdefault(key, len(user_ids) + 1)  # noqa: E731
    history, held_out = {}, {}
    for user, item, weight in _interactions(train_path):
        loaded.train_rows += 1
        if item not in item_ids:
            loaded.unknown_items += 1
            continue
        songs = history.setdefault(number(user), {})
        songs[item_ids[item]] = songs.get(item_ids[item], 0.0) + log_weight(weight)
    for user, item, _ in _interactions(test_path):
        loaded.test_rows += 1
        if item not in item_ids:
            loaded.unknown_items += 1
            continue
        uid = number(user)
        if item_ids[item] in history.get(uid, {}):
            loaded.test_in_train += 1  # already in the library: it could never be recommended
            continue
        held_out.setdefault(uid, set()).add(item_ids[item])
    user_tags = {}
    if users_path:
        for _, row in _rows(users_path, ("user_id", "tags")):
            user_tags[number(row["user_id"].strip())] = split_tags(row["tags"])

    fans = dict.fromkeys(titles, 0)
    for songs in history.values():
        for point_id in songs:
            fans[point_id] += 1
    # Items have no Spotify popularity; a 0-100 score from training fans takes its place.
    scale = math.log1p(max(fans.values(), default=0)) or 1.0
    popularity = {i: round(100 * math.log1p(n) / scale) for i, n in fans.items()}
    infos = {
        i: SongInfo(i, titles[i], titles[i], item_tags[i][0] if item_tags[i] else None, item_tags[i], None,
                    False, popularity[i])
        for i in titles
    }
    payloads = {i: _payload(i, titles[i], item_tags[i], popularity[i]) for i in titles}
    loaded.items = ItemSet(infos, payloads, texts=texts)
    for uid in user_ids.values():
        songs = history.get(uid, {})
        tags = user_tags.get(uid, ())
        loaded.users.append(EvalUser(uid, dict(songs), frozenset(songs), frozenset(held_out.get(uid, ())),
                                     (), tags, preference_text((), tags)))
    return loaded

"""Convert the HetRec 2011 Last.fm files into the CSVs `python -m app.evaluation` reads.

    python bench/hetrec_to_csv.py --src ../shared/data/hetrec2011-lastfm-2k --out /tmp/hetrec [--seed 0]

Items are artists; an artist's text is its name and its most used tags. A user's tags are the ones
they used most. user_artists.dat is split 80/20 per user (seeded): train.csv and test.csv keep the
play count as weight. Tag assignments a user made on one of their own test artists are dropped,
so neither tags nor texts carry the held-out listening. user_tags.csv keeps each remaining
assignment (user, artist, tag), so a validation split carved from train.csv can recompute a
user's tags without the artists it holds out (`--user-tags`).
"""

import argparse
import csv
import random
import sys
from collections import Counter, defaultdict
from pathlib import Path

ITEM_TAGS = 10
USER_TAGS = 5
TEST_SHARE = 0.2


def read_table(path, encoding="utf-8"):
    """Rows of a tab-separated file with a header line, as lists of strings."""
    with open(path, encoding=encoding, newline="") as handle:
        lines = handle.read().splitlines()
    return [line.split("\t") for line in lines[1:] if line.strip()]


def split_user(artists, rng, test_share=TEST_SHARE):
    """(train, test) of one user's artists: about test_share held out, at least one kept for training."""
    artists = sorted(artists)
    rng.shuffle(artists)
    n_test = min(round(test_share * len(artists)), len(artists) - 1)
    return artists[n_test:], artists[:n_test]


def top_tags(counts, names, limit):
    """The most used tag names, ties broken by tag id."""
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    return [names[tag] for tag, _ in ranked if tag in names]


def convert(src, out, seed=0, test_share=TEST_SHARE, item_tags=ITEM_TAGS, user_tags=USER_TAGS):
    """Write items.csv, users.csv, user_tags.csv, train.csv and test.csv to `out`; returns their row counts."""
    src, out = Path(src), Path(out)
    artists = {row[0]: row[1] for row in read_table(src / "artists.dat")}
    # ';' separates tags in the CSVs, so one inside a tag becomes ','.
    tag_names = {
        row[0]: row[1].strip().lower().replace(";", ",") for row in read_table(src / "tags.dat", "latin-1")
    }
    plays = defaultdict(dict)
    for user, artist, weight in read_table(src / "user_artists.dat"):
        plays[user][artist] = weight
    users = sorted(plays, key=int)
    train, test = {}, {}
    for user in users:
        train[user], test[user] = split_user(plays[user], random.Random(f"{seed}:{user}"), test_share)
    held = {user: set(test[user]) for user in users}
    by_artist, by_user, assignments = defaultdict(Counter), defaultdict(Counter), []
    for user, artist, tag, *_ in read_table(src / "user_taggedartists.dat"):
        if artist in held.get(user, ()):
            continue
        by_artist[artist][tag] += 1
        by_user[user][tag] += 1
        if tag in tag_names and artist in artists:
            assignments.append((user, artist, tag_names[tag]))

    out.mkdir(parents=True, exist_ok=True)
    counts = {}
    with open(out / "items.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["item_id", "title", "text", "tags"])
        for artist, name in sorted(artists.items(), key=lambda kv: int(kv[0])):
            tags = top_tags(by_artist[artist], tag_names, item_tags)
            text = f"{name}. Genre: {', '.join(tags)}." if tags else name
            writer.writerow([artist, name, text, ";".join(tags)])
        counts["items"] = len(artists)
    with open(out / "users.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["user_id", "tags"])
        for user in users:
            writer.writerow([user, ";".join(top_tags(by_user[user], tag_names, user_tags))])
        counts["users"] = len(users)
    with open(out / "user_tags.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["user_id", "item_id", "tag"])
        writer.writerows(sorted(assignments, key=lambda row: (int(row[0]), int(row[1]), row[2])))
        counts["user_tags"] = len(assignments)
    for name, side in (("train", train), ("test", test)):
        with open(out / f"{name}.csv", "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["user_id", "item_id", "weight"])
            rows = [
                (user, artist, plays[user][artist])
                for user in users
                for artist in sorted(side[user], key=int)
            ]
            writer.writerows(rows)
            counts[name] = len(rows)
    return counts


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--src", required=True, type=Path, help="the hetrec2011-lastfm-2k folder")
    parser.add_argument("--out", required=True, type=Path, help="where to write the four CSVs")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--test-share", type=float, default=TEST_SHARE)
    args = parser.parse_args(argv)
    if not (args.src / "user_artists.dat").is_file():
        parser.error(f"{args.src} has no user_artists.dat")
    counts = convert(args.src, args.out, args.seed, args.test_share)
    print(" · ".join(f"{name} {count}" for name, count in counts.items()), "->", args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())

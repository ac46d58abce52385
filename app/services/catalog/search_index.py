"""SQLite's trigram index of song search (FTS5): which texts it may narrow, and the query it is given.

Search keeps its meaning: browse._contains decides every row. On SQLite the index only hands it
candidates, `songs.id IN (SELECT rowid FROM songs_search WHERE songs_search MATCH '"text"')`, and
that must never drop a song the predicate keeps. FTS5's trigram tokenizer (case_sensitive 0) folds
each code point to one code point with SQLite's own case tables, and a quoted phrase of 3 or more
characters matches a row when one column, so folded, contains the phrase, so folded. Hence:

- ASCII text is compared by SQLite's lower() LIKE, which folds A-Z and compares every other
  character as it is; FTS5 folds A-Z the same way, so the whole text is the phrase.
- Other text is compared by Python's str.lower() of both sides. Where that lowering and FTS5's fold
  disagree, the text is cut: FTS5's tables predate case pairs Unicode added later (Georgian
  Mtavruli, Cherokee, Osage ...: 390 lowered letters with Python 3.11 and SQLite 3.40), and the
  dotted capital I lowers to two code points, "i" + U+0307, where FTS5 leaves it as it is. Each
  remaining run of 3 or more characters is a phrase (all of them must match; every one is a
  substring of any match); text without such a run is scanned.
- Text shorter than 3 characters, or holding NUL (which ends a LIKE pattern in SQLite), is scanned.

Which characters disagree is measured once per process on the SQLite library the app runs with
(`_disagreements`), so a newer SQLite with newer tables cuts less.
"""

import functools
import sqlite3
import sys
from collections.abc import Iterator
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session, scoped_session

from ...database import SQLITE_SEARCH_INDEX

# The trigram tokenizer indexes 3-character windows: a shorter phrase matches nothing in it.
MIN_CHARS = 3
# Python lowers the capital sigma to final sigma at the end of a word (Unicode's Final_Sigma
# context), to sigma elsewhere: both are lowerings of it. No other character lowers by context.
CONTEXT_LOWERINGS = {"\u03a3": ("\u03c3", "\u03c2")}
# Code points tested per str.lower() call when looking for the characters that lower at all: the
# whole of Unicode in 2,200 calls, 38 ms, where one call a character took 110 ms.
BLOCK = 512
_EXISTS = sa.text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = :name").bindparams(
    name=SQLITE_SEARCH_INDEX
)
_SEARCH_TABLE = sa.table(SQLITE_SEARCH_INDEX, sa.column("rowid"))


def has_index(session: Session | scoped_session[Any]) -> bool:
    """Whether the session's database is SQLite and holds the search index (a database migrated
    before the index's revision, or an SQLite without FTS5's trigram tokenizer, has none)."""
    if session.get_bind().dialect.name != "sqlite":
        return False
    return session.execute(_EXISTS).first() is not None


def candidates(session: Session | scoped_session[Any], text: str) -> sa.Select[tuple[int]] | None:
    """The ids of the songs the index says may match `text` (a superset of the true matches), or
    None where there is no index or it cannot say so safely, and the search must scan."""
    if session.get_bind().dialect.name != "sqlite":
        return None  # before _phrases, whose first call measures SQLite (80 ms)
    phrases = _phrases(text)
    if not phrases or not has_index(session):
        return None
    query = " ".join('"' + phrase.replace('"', '""') + '"' for phrase in phrases)
    return sa.select(_SEARCH_TABLE.c.rowid).where(sa.literal_column(SQLITE_SEARCH_INDEX).match(query))


def _phrases(text: str) -> list[str]:
    if "\x00" in text:
        return []
    if text.isascii():
        return [text] if len(text) >= MIN_CHARS else []
    anywhere, at_end = _disagreements()
    # Cut at NUL, which the text is known not to hold.
    runs = "".join("\x00" if char in anywhere else char for char in text.lower()).split("\x00")
    # A run's last character may be the first half of a two-character lowering ("i" of U+0130),
    # whose rest the cut removed or the text never had: it is left out.
    runs = [run[:-1] if run[-1:] in at_end else run for run in runs]
    return [run for run in runs if len(run) >= MIN_CHARS]


@functools.cache
def _disagreements() -> tuple[frozenset[str], frozenset[str]]:
    """The lowered characters at which text must be cut: (anywhere, at the end of a run).

    For each character c that str.lower() changes, and each lowering of it: a one-character
    lowering v that FTS5 folds otherwise than c means a song holding c is found by text holding v
    yet missed by the index, so v is cut anywhere; a longer lowering's characters after the first
    are cut anywhere, and its first one, when FTS5 folds c otherwise, at a run's end (the only place
    a run can meet it).
    """
    changed = list(_lowered_characters())
    lowerings = {c: CONTEXT_LOWERINGS.get(c, (c.lower(),)) for c in changed}
    fold = _fts5_fold(set(changed) | {ch for lows in lowerings.values() for low in lows for ch in low})
    anywhere: set[str] = set()
    at_end: set[str] = set()
    for c, lows in lowerings.items():
        for low in lows:
            if len(low) > 1:
                anywhere.update(low[1:])
            if fold[c] != fold[low[0]]:
                (anywhere if len(low) == 1 else at_end).add(low[0])
    return frozenset(anywhere), frozenset(at_end)


def _lowered_characters() -> Iterator[str]:
    """Every code point that str.lower() changes."""
    points = np.arange(sys.maxunicode + 1, dtype="<u4")
    points = points[(points < 0xD800) | (points > 0xDFFF)]  # surrogates are no characters
    everything = points.tobytes().decode("utf-32-le")
    for start in range(0, len(everything), BLOCK):
        block = everything[start : start + BLOCK]
        if block.lower() != block:
            yield from (c for c in block if c.lower() != c)


def _fts5_fold(chars: set[str]) -> dict[str, str]:
    """How FTS5's trigram tokenizer folds each character, read back from an index of "ccc" rows."""
    with sqlite3.connect(":memory:") as conn:
        conn.execute("CREATE VIRTUAL TABLE fold USING fts5(text, tokenize = 'trigram')")
        conn.execute("CREATE VIRTUAL TABLE fold_terms USING fts5vocab(fold, 'instance')")
        conn.executemany("INSERT INTO fold (rowid, text) VALUES (?, ?)", [(ord(c), c * 3) for c in chars])
        folded = {chr(rowid): term[0] for rowid, term in conn.execute("SELECT doc, term FROM fold_terms")}
    conn.close()
    return folded

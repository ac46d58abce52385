"""Engines as plans: each states the searches and song facts it needs, so For you can batch them.

A plan is a generator. It yields Searches (what it wants searched, each in its collection) and is
sent one list of hits per search, in order; it yields Songs (song ids) and is sent {id: SongInfo}
of those that exist (perhaps of more); it returns its result. It reaches the store and the
catalog's songs through these steps only. So one engine's list is its plan run step by step
(run_plan), and For you runs its four plans together (run_plans): each round of their searches
goes out as one batch per collection, and their songs, with those of the lists already done, which
the fusion reads next, come from one read.
"""

from collections.abc import Generator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from ..vectors.base import Hit, Search, VectorStore
from .items import CatalogData, Recommendation, SongInfo

R = TypeVar("R")


@dataclass(frozen=True)
class Searches:
    """A round of searches, as (collection, Search) pairs: the plan is sent [hits] per pair, in order."""

    wanted: tuple[tuple[str, Search], ...]


@dataclass(frozen=True)
class Songs:
    """Song facts a plan needs: it is sent {id: SongInfo} holding every one of these that exists."""

    ids: frozenset[int]


Step = Searches | Songs
# A plan: yields Steps, is sent each step's answer, returns R.
Plan = Generator[Step, Any, R]


def run_plan(plan: Plan[R], store: VectorStore, catalog: CatalogData | None = None) -> R:
    """One plan's result, each step answered as it comes (catalog only for a plan that asks for songs)."""
    try:
        step = next(plan)
        while True:
            if isinstance(step, Searches):
                answer: Any = _search({"": step}, store)[""]
            elif catalog is None:
                raise TypeError("this plan reads songs: pass the catalog")
            else:
                answer = catalog.songs(step.ids)
            step = plan.send(answer)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]  # StopIteration's value is untyped


def run_plans(
    plans: Mapping[str, Plan[list[Recommendation]]], store: VectorStore, catalog: CatalogData
) -> dict[str, list[Recommendation]]:
    """{name: list} of every plan, run together, in the order given.

    While any plan waits on searches, every waiting search goes out in one search_batch per
    collection. When all that remain wait on songs, one catalog.songs() call reads what they asked
    for and the songs of the lists already finished (the fusion reads those next, and SqlCatalog
    keeps what it read for the rest of the request).
    """
    results: dict[str, list[Recommendation]] = {}
    waiting: dict[str, tuple[Plan[list[Recommendation]], Step]] = {}

    def advance(name: str, plan: Plan[list[Recommendation]], answer: Any) -> None:
        try:
            waiting[name] = (plan, plan.send(answer))
        except StopIteration as done:
            waiting.pop(name, None)
            results[name] = done.value

    for name, plan in plans.items():
        advance(name, plan, None)  # send(None) starts a generator, as next() does
    while waiting:
        searching = {name: step for name, (_, step) in waiting.items() if isinstance(step, Searches)}
        if searching:
            for name, answer in _search(searching, store).items():
                advance(name, waiting[name][0], answer)
            continue
        wanted = set(_finished_songs(results.values()))
        for _, step in waiting.values():
            if isinstance(step, Songs):
                wanted |= step.ids
        songs: Mapping[int, SongInfo] = catalog.songs(wanted)
        for name, (plan, _) in list(waiting.items()):
            advance(name, plan, songs)
    return {name: results[name] for name in plans}


def _finished_songs(lists: Iterable[Sequence[Recommendation]]) -> Iterable[int]:
    return (item.song_id for items in lists for item in items)


def _search(steps: Mapping[str, Searches], store: VectorStore) -> dict[str, list[list[Hit]]]:
    """{plan name: [hits] per wanted search} of the steps, one search_batch per collection."""
    by_collection: dict[str, list[tuple[str, int, Search]]] = {}
    for name, step in steps.items():
        for slot, (collection, search) in enumerate(step.wanted):
            by_collection.setdefault(collection, []).append((name, slot, search))
    answers: dict[str, list[list[Hit]]] = {name: [[] for _ in step.wanted] for name, step in steps.items()}
    for collection, entries in by_collection.items():
        found = store.search_batch(collection, [search for _, _, search in entries])
        for (name, slot, _), hits in zip(entries, found):
            answers[name][slot] = hits
    return answers
